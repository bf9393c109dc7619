"""Load shedding: a bound on the requests a server process works on at once; beyond it, 503 at once.

Without it a process takes every request it is sent and they all share its event loop, its thread pool and its
writer, so at a few hundred connections every answer came late (p99 of 16-22 s) and none was refused. With it, a
request over the bound is answered before anything else is done for it (503, `Retry-After: 1`, the usual error
body), and the requests let in keep the latency of a loaded but not overloaded process. A request let in is never
dropped: it runs to its answer however many arrive meanwhile. The bound also bounds the writer's queue, since a
request hands it at most one write at a time.

The bound alone does not keep refusals fast: the requests let in work on the event loop, so at several times the load
a process carries, its loop falls behind and a request waits there before this middleware even sees it. So a
process also refuses while its loop runs more than `max_loop_lag` seconds late (api/loop_lag.py), as long as at least
one request of its own is in flight: a loop slowed by something else (another process on the same cores) still takes
requests one at a time, and never refuses everything for good.

Health checks are never refused, so an orchestrator sees a busy process alive rather than restarting it. Live
streams (/api/v1/stream) are not counted: they have their own cap per process.
A pure ASGI middleware (one counter per process: the event loop is single-threaded), not BaseHTTPMiddleware, which
would cost a task and a stream per request.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cxloop.api.errors import error_body
from cxloop.api.loop_lag import LoopLag
from cxloop.api.v1 import PREFIX

# Never shed and never rate-limited (api/rate_limits.py).
EXEMPT_PATHS = frozenset({f"{PREFIX}/health"})
# Long-lived: a live stream stays open for minutes and would hold an in-flight place all that time, so it is not
# counted here; the stream hub caps streams per process on its own (CXLOOP_MAX_STREAMS, api/stream_hub.py).
LONG_LIVED_PATHS = frozenset({f"{PREFIX}/stream"})
RETRY_AFTER_SECONDS = 1


class LoadShedding:
    """At most `max_in_flight` HTTP requests of this process in progress (0: no bound), and none new while the event
    loop runs more than `max_loop_lag` seconds late with one of them in progress (0: not watched)."""

    def __init__(self, app: ASGIApp, *, max_in_flight: int, max_loop_lag: float = 0, loop_lag: LoopLag | None = None):
        self.app = app
        self.max_in_flight = max_in_flight
        self.max_loop_lag = max_loop_lag if loop_lag is not None else 0  # nothing to watch without a measure
        self.loop_lag = loop_lag
        self.in_flight = 0

    def _busy(self) -> bool:
        if self.max_in_flight and self.in_flight >= self.max_in_flight:
            return True
        late = self.loop_lag is not None and self.loop_lag.seconds > self.max_loop_lag
        return bool(self.max_loop_lag and self.in_flight and late)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        watched = self.max_in_flight or self.max_loop_lag
        if scope["type"] != "http" or not watched or path in EXEMPT_PATHS or path in LONG_LIVED_PATHS:
            await self.app(scope, receive, send)
            return
        if self._busy():
            busy = JSONResponse(
                error_body("the server is busy; try again in a moment"),
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            await busy(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
