"""Error bodies: every 4xx names each bad field and why, in one shape.

{"detail": "plain-words summary", "errors": [{"field": "items.3.score", "message": "..."}]}
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxloop.core.body_caps import STARLETTE_TOO_LARGE, http_error_detail, too_large_detail
from cxloop.core.errors import CxloopError, http_status


def _field_path(loc: tuple[Any, ...]) -> str:
    # FastAPI prefixes the location with where it came from; "body" is noise to a client, "query" is not.
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    return ".".join(str(p) for p in parts) or "body"


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def _field_error(error: Any) -> dict[str, str]:
    if error["type"] == "json_invalid":  # FastAPI puts the character position where the field would be
        reason = error.get("ctx", {}).get("error", "")
        return {"field": "body", "message": f"not valid JSON: {reason} at character {error['loc'][-1]}"}
    return {"field": _field_path(tuple(error["loc"])), "message": error["msg"]}


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(e) for e in exc.errors()]
    return JSONResponse(error_body("the request has invalid fields", errors), status_code=422)


async def _cxloop_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CxloopError)
    status = http_status(exc)
    errors = [{"field": e.field, "message": e.message} for e in exc.errors]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(exc.message, errors), status_code=status, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route answers on this path (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for route in routing.iter_route_contexts(request.app.routes):
        if route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's answer to a JSON body that is not UTF-8: the same 422 as any other body that is not JSON
        errors = [{"field": "body", "message": f"not valid JSON: not UTF-8 ({exc.__cause__.reason})"}]
        return JSONResponse(error_body("the request has invalid fields", errors), status_code=422)
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return JSONResponse(
        error_body(http_error_detail(exc, request.scope)), status_code=exc.status_code, headers=headers or None
    )


class TooLargeAsJson:
    """Starlette 1.10 and later answer a route's body cap themselves, with a plain-text "Content Too Large" sent
    before any exception handler sees it (earlier versions raised it to `_http_error`), from FastAPI's app-wide cap,
    which sits outside every middleware an app adds. This wraps the whole stack (`app.CxloopApp`) and gives that 413
    the API's JSON error body naming the cap, whichever version is installed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None

        async def relay(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and message["status"] == 413:
                held = message  # wait for the body: only Starlette's bare text is rewritten
                return
            if held is not None and message["type"] == "http.response.body":
                start, held = held, None
                if message.get("body", b"").decode("latin-1") == STARLETTE_TOO_LARGE:
                    kept = {
                        k.decode("latin-1"): v.decode("latin-1")
                        for k, v in start["headers"]
                        if k.lower() not in (b"content-type", b"content-length")
                    }
                    answer = JSONResponse(error_body(too_large_detail(scope)), status_code=413, headers=kept)
                    await answer(scope, receive, send)
                    return
                await send(start)
            await send(message)

        await self.app(scope, receive, relay)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(CxloopError, _cxloop_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
