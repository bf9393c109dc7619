"""An ASGI app that refuses every request with cxloop's own load-shedding middleware (api/overload.py), its place
held by a request that never ends: the cheapest answer the server can give, for bench/bench_refusal_floor.py."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from cxloop.api.overload import LoadShedding


async def _never_reached(_scope: Scope, _receive: Receive, _send: Send) -> None:
    raise AssertionError("every request is refused before the app")


app = LoadShedding(_never_reached, max_in_flight=1)
app.in_flight = 1  # the one place is taken for good: every request gets the 503 of an overloaded server
