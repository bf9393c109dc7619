"""The rate limits of /api/v1: per client address, then per API key (core/rate_limit.py `api_limits`).

Checked before anything else is done for a request (no database, no key lookup): the address first, so a client
trying keys is limited too; then the key, counted under a hash of the bearer token (the plain key never reaches the
counter store; a wrong key only wastes its sender's own address budget). A refused request gets 429 with
`Retry-After` and the IETF draft's `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and
`RateLimit-Policy` fields, and counts nothing. The counts are shared by every server process through Redis when it
is configured; health checks are exempt.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cxloop.api.errors import error_body
from cxloop.api.overload import EXEMPT_PATHS
from cxloop.api.v1 import PREFIX
from cxloop.core.rate_limit import AnyStorage, AsyncRateLimiter, Limit, Verdict

# What the client can change to get in: named in the 429's error list.
_FIELDS = {"api-ip": "client address", "api-key": "Authorization"}


class ApiRateLimits:
    """429 for /api/v1 requests over the address or key limit."""

    def __init__(self, app: ASGIApp, *, limits: tuple[Limit, Limit], storage: AnyStorage) -> None:
        self.app = app
        per_ip, per_key = limits
        self.checks = [
            (limit, AsyncRateLimiter(rate=limit.rate, per=limit.per, storage=storage, name=limit.name), key_of, why)
            for limit, key_of, why in (
                (per_ip, _client_address, "too many API requests from this address"),
                (per_key, _key_digest, "too many requests with this API key"),
            )
            if limit.enabled
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(PREFIX + "/") and path not in EXEMPT_PATHS:
            for limit, limiter, key_of, why in self.checks:
                key = key_of(scope)
                if key is None:
                    continue
                verdict = await limiter.hit(key)
                if not verdict.allowed:
                    await _too_many(limit, verdict, why)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _key_digest(scope: Scope) -> str | None:
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return hashlib.sha256(token.strip().encode()).hexdigest()[:32]


def _too_many(limit: Limit, verdict: Verdict, why: str) -> JSONResponse:
    seconds = verdict.retry_after_header
    message = f"{why}: at most {limit.rate} in {limit.per} s; try again in {seconds} s"
    headers = {
        "Retry-After": seconds,
        "RateLimit-Limit": str(limit.rate),
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": seconds,
        "RateLimit-Policy": f"{limit.rate};w={limit.per}",
    }
    return JSONResponse(
        error_body("too many requests", [{"field": _FIELDS[limit.name], "message": message}]),
        status_code=429,
        headers=headers,
    )
