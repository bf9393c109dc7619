"""The branding of the request being answered. Public pages ask for it on every view, so each server process keeps
it for `BRAND_CACHE_SECONDS` (a change made through another process shows within that time; the process that made
it shows it at once). A router dependency loads it; templates read it without passing it through every call."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from time import monotonic

from fastapi import FastAPI, Request

from cxloop.branding import service
from cxloop.storage.deps import get_async_database

BRAND_CACHE_SECONDS = 30.0
_current: ContextVar[service.Brand] = ContextVar("brand", default=service.NO_BRAND)


@dataclass
class _Cached:
    brand: service.Brand
    loaded_at: float


def forget(app: FastAPI) -> None:
    """Drop this process's copy (after a change), so the next page reads the database."""
    app.state.brand = None


async def load_brand(request: Request) -> service.Brand:
    """Router dependency: the branding, from this process's copy while it is fresh."""
    cached: _Cached | None = getattr(request.app.state, "brand", None)
    if cached is None or monotonic() - cached.loaded_at > BRAND_CACHE_SECONDS:
        brand = await get_async_database(request).read(service.current)
        cached = request.app.state.brand = _Cached(brand, monotonic())
    _current.set(cached.brand)
    return cached.brand


def brand() -> service.Brand:
    """The branding `load_brand` found for this request (none outside a request)."""
    return _current.get()
