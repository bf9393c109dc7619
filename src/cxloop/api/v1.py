"""The /api/v1 assembly: every domain's router, mounted in one place."""

from __future__ import annotations

from fastapi import APIRouter

from cxloop.access.routes import router as access_router
from cxloop.analytics.routes import router as analytics_router
from cxloop.api.health import router as health_router
from cxloop.collection.routes import router as collection_router
from cxloop.customers.routes import router as customers_router
from cxloop.journeys.routes import router as journeys_router
from cxloop.surveys.routes import router as surveys_router

ROUTERS: list[APIRouter] = [
    health_router,
    access_router,
    customers_router,
    journeys_router,
    surveys_router,
    collection_router,
    analytics_router,
]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for domain_router in ROUTERS:
        router.include_router(domain_router)
    return router
