"""What every public widget endpoint shares: CORS, a rate limit per client IP, and error bodies the page can read.

The script calls the API from the host page's origin. Requests are sent as CORS "simple requests" (JSON in a
text/plain body, or a multipart form) so browsers send no preflight; one is answered anyway for other clients.
The origin itself is checked against the site's allowed origins by each endpoint (403 otherwise); the CORS headers
only let the page read the answer, including the error's reason.

Errors are rendered here, not by the app's handlers, so that they carry the CORS headers too; the body has the
same shape as everywhere else: {"detail": "...", "errors": [{"field", "message"}]}.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from cxloop.core.body_caps import http_error_detail, max_bytes
from cxloop.core.error_body import error_responses
from cxloop.core.errors import (
    CxloopError,
    FieldError,
    InvalidInput,
    http_status,
)
from cxloop.core.rate_limit import LIMITS, AsyncRateLimiter
from cxloop.core.request_body import read_capped_body
from cxloop.core.request_checks import check_json

RATE_LIMIT = "widget"  # per client address, in core/rate_limit.py's LIMITS
MAX_JSON_BYTES = max_bytes("POST /widget/v1/responses")
Model = TypeVar("Model", bound=BaseModel)


def limiter(request: Request) -> AsyncRateLimiter:
    """The app's widget rate limiter (made on first use, counting in the app's rate-limit storage without blocking
    the event loop; tests may put a stricter one in its place)."""
    state = request.app.state
    found: AsyncRateLimiter | None = getattr(state, "widget_rate_limiter", None)
    if found is None:
        limit = LIMITS[RATE_LIMIT]
        found = AsyncRateLimiter(
            rate=limit.rate, per=limit.per, storage=state.rate_limit_async_storage, name=RATE_LIMIT
        )
        state.widget_rate_limiter = found
    return found


def _error(status: int, detail: str, errors: list[FieldError] | None = None) -> JSONResponse:
    body = {"detail": detail, "errors": [{"field": e.field, "message": e.message} for e in errors or []]}
    return JSONResponse(body, status_code=status)


def error_response(exc: Exception, request: Request) -> JSONResponse:
    """The JSON error for an exception raised by a widget endpoint (anything else is re-raised)."""
    if isinstance(exc, CxloopError):
        status = http_status(exc)
        return _error(status, exc.message, exc.errors)
    if isinstance(exc, RequestValidationError):
        errors = [FieldError(".".join(str(p) for p in e["loc"][1:]) or "query", e["msg"]) for e in exc.errors()]
        return _error(422, "the request has invalid fields", errors)
    if isinstance(exc, HTTPException):
        return _error(exc.status_code, http_error_detail(exc, request.scope))
    raise exc


def with_cors(request: Request, response: Response) -> Response:
    origin = request.headers.get("origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


class WidgetRoute(APIRoute):
    """A route that answers with CORS headers, refuses clients over the rate limit (429) and renders its errors.

    An endpoint's `openapi_extra={"x-rate-cost": n}` makes one request count n times (uploads)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # Every widget endpoint can answer these: an origin the site does not allow, an unknown site key, a body over
        # the cap, invalid fields, and the rate limit.
        kwargs["responses"] = error_responses(403, 404, 413, 422, 429) | dict(kwargs.get("responses") or {})
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        cost = int((self.openapi_extra or {}).get("x-rate-cost", 1))

        async def route(request: Request) -> Response:
            client = request.client.host if request.client else "unknown"
            verdict = await limiter(request).hit(client, cost)
            if not verdict.allowed:
                response: Response = _error(429, "too many requests from this address; try again shortly")
                response.headers["Retry-After"] = verdict.retry_after_header
                return with_cors(request, response)
            try:
                response = await handler(request)
            except (CxloopError, RequestValidationError, HTTPException) as exc:
                response = error_response(exc, request)
            return with_cors(request, response)

        return route


async def read_json(request: Request, model: type[Model]) -> Model:
    """The body parsed as `model`, whatever its content type (the script sends text/plain to skip the preflight)."""
    return parse_json(await read_capped_body(request, limit=MAX_JSON_BYTES), model)


def parse_json(raw: bytes | str, model: type[Model]) -> Model:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("the body is not valid JSON", errors=[FieldError("body", str(exc))]) from exc
    check_json(data, raw=raw if isinstance(raw, bytes) else raw.encode())
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()]
        raise InvalidInput("the request has invalid fields", errors=errors) from exc
