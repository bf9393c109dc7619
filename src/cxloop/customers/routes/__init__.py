"""The customers domain's JSON API: customers, accounts, events, outcomes and segments (docs/api-customers.md)."""

from __future__ import annotations

from fastapi import APIRouter

from cxloop.customers.routes.accounts import router as accounts_router
from cxloop.customers.routes.customers import router as customers_router
from cxloop.customers.routes.events import router as events_router
from cxloop.customers.routes.segments import router as segments_router

router = APIRouter()
for _part in (customers_router, accounts_router, events_router, segments_router):
    router.include_router(_part)
