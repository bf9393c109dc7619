"""Composition root: build the FastAPI app from Settings."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.types import ASGIApp

from cxloop import __version__
from cxloop.api.docs_pages import include_docs_pages
from cxloop.api.errors import TooLargeAsJson, install_error_handlers
from cxloop.api.loop_lag import LoopLag
from cxloop.api.openapi_responses import with_error_responses
from cxloop.api.overload import LoadShedding
from cxloop.api.public import include_public_routers
from cxloop.api.rate_limits import ApiRateLimits
from cxloop.api.stream_hub import StreamHub
from cxloop.api.v1 import include_routers
from cxloop.collection.coalescer import ResponseCoalescer
from cxloop.core import rate_limit
from cxloop.core.body_caps import DEFAULT_MAX_BYTES
from cxloop.core.collector import LONG_LIVED_THRESHOLDS
from cxloop.core.config import Settings
from cxloop.core.request_checks import check_request_text
from cxloop.invitations.tokens import TokenSigner
from cxloop.storage.async_database import AsyncDatabase
from cxloop.storage.database import Database, database_for
from cxloop.storage.writer import Writer
from cxloop.web.pages import include_web
from cxloop.wiring import wire_domains


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.state.settings.max_loop_lag_ms:
        app.state.loop_lag.start()
    yield
    await app.state.loop_lag.stop()
    await app.state.stream_hub.close()
    writer: Writer = app.state.writer
    await anyio.to_thread.run_sync(writer.stop)  # finishes the queued writes
    await rate_limit.close(app.state.rate_limit_async_storage)


class CxloopApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        return TooLargeAsJson(super().build_middleware_stack())  # outside FastAPI's own body cap


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """The web application. `database` may be passed in (tests); otherwise it is built from settings."""
    wire_domains(settings)
    app = CxloopApp(
        title="cxloop",
        version=__version__,
        description="Voice-of-the-Customer platform API. Authenticate with `Authorization: Bearer <API key>`.",
        generate_unique_id_function=_operation_id,
        lifespan=_lifespan,
        docs_url=None,  # served from the package by include_docs_pages: FastAPI's own load from a CDN
        redoc_url=None,
        max_body_size=DEFAULT_MAX_BYTES,  # routes of core/body_caps.BODY_CAPS take less
        dependencies=[Depends(check_request_text)],  # no NUL in any parameter, JSON depth capped (issue 10)
    )
    app.state.settings = settings
    app.state.database = database or database_for(settings)
    # The writer thread starts on the first write and ends when the app shuts down (storage/writer.py).
    app.state.writer = Writer(app.state.database)
    app.state.async_database = AsyncDatabase(app.state.database, app.state.writer)
    app.state.response_coalescer = ResponseCoalescer(app.state.database, app.state.writer)
    app.state.stream_hub = StreamHub(app.state.async_database, max_streams=settings.max_streams)
    app.state.signer = TokenSigner.of(settings)
    app.state.rate_limit_storage = rate_limit.storage_for(settings)
    app.state.rate_limit_async_storage = rate_limit.async_storage_for(settings, app.state.rate_limit_storage)
    # The last one added runs first: a request over the in-flight bound is refused before it is counted.
    app.add_middleware(
        ApiRateLimits, limits=rate_limit.api_limits(settings), storage=app.state.rate_limit_async_storage
    )
    app.state.loop_lag = LoopLag()
    app.add_middleware(
        LoadShedding,
        max_in_flight=settings.max_in_flight,
        max_loop_lag=settings.max_loop_lag_ms / 1000,
        loop_lag=app.state.loop_lag,
    )
    install_error_handlers(app)
    include_routers(app)
    include_public_routers(app)
    include_docs_pages(app)
    include_web(app)  # the web app's pages at / (docs/web-app.md)
    app.openapi = with_error_responses(app)  # type: ignore[method-assign]

    return app


def create_app_from_environment() -> FastAPI:
    """Factory for uvicorn workers: each process reads the same CXLOOP_* settings."""
    app = create_app(Settings())
    _quiet_garbage_collector()
    return app


def _quiet_garbage_collector() -> None:
    """A server process keeps hundreds of thousands of long-lived objects (modules, the app, SQLAlchemy's caches).
    The cyclic collector rescans them all on every full collection, a pause of tens of milliseconds that showed up as
    the p99 latency of ingestion. Freeze what exists once the app is built, and collect the young generation less
    often (request objects are mostly freed by reference counting anyway)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*LONG_LIVED_THRESHOLDS)
