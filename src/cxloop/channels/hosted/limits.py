"""The rate limits of the public pages (docs/channels-hosted-kiosk.md), one limiter per app.

Limiters live on `app.state.rate_limiters` (made on first use) and count in the app's rate-limit storage
(core/rate_limit.py: Redis when configured, shared by every server process; else this process's memory). Tests may
put stricter limiters in their place. The client address is what the ASGI server reports: behind a proxy, run
uvicorn with `--proxy-headers --forwarded-allow-ips=<proxy>` so it is the visitor's address rather than the proxy's.
"""

from __future__ import annotations

import threading

from fastapi import Request

from cxloop.core.rate_limit import LIMITS, RateLimiter

# Names in core/rate_limit.py's LIMITS, where the rates are and why.
LINK = "hosted-link"
KIOSK = "kiosk"
_creating = threading.Lock()


def limiter(request: Request, name: str) -> RateLimiter:
    """This app's limiter `name` (LINK or KIOSK)."""
    state = request.app.state
    limiters: dict[str, RateLimiter] | None = getattr(state, "rate_limiters", None)
    if limiters is None or name not in limiters:
        with _creating:
            limiters = getattr(state, "rate_limiters", None)
            if limiters is None:
                limiters = {}
                state.rate_limiters = limiters
            if name not in limiters:
                limit = LIMITS[name]
                limiters[name] = RateLimiter(
                    rate=limit.rate, per=limit.per, storage=state.rate_limit_storage, name=name
                )
    return limiters[name]


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"
