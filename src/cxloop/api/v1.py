"""The /api/v1 assembly: every domain's router, mounted in one place."""

from __future__ import annotations

from fastapi import APIRouter

from cxloop.access.routes import router as access_router
from cxloop.api.health import router as health_router

ROUTERS: list[APIRouter] = [health_router, access_router]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for domain_router in ROUTERS:
        router.include_router(domain_router)
    return router
