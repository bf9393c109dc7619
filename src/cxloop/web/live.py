"""GET /live: the overview's live updates, server-sent events from the API's stream hub (api/stream_hub.py) for a
signed-in session. Only the names of new responses and feedback items travel (`response.received`,
`feedback.received`, no payload): the page counts them in a quiet "3 new responses · show" pill rather than
reloading. The session's unit of work ends before the stream starts (SessionDep commits before the response)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from cxloop.jobs.events import FEEDBACK_RECEIVED, RESPONSE_RECEIVED
from cxloop.web.auth import ViewerPage

router = APIRouter(include_in_schema=False)
LIVE = frozenset({RESPONSE_RECEIVED, FEEDBACK_RECEIVED})
HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 10_000  # a browser reconnects after this long (a restarted server, a full hub)
LONGEST_SECONDS = 3_600  # a stream ends after an hour; the browser reconnects (and the session is checked again)


class Hub(Protocol):
    """What this page uses of the API's StreamHub (app.state.stream_hub; the web layer may not import cxloop.api)."""

    max_streams: int

    @property
    def open_streams(self) -> int: ...
    async def subscribe(self) -> Any: ...
    def unsubscribe(self, subscriber: Any) -> None: ...


async def _events(hub: Hub, subscriber: Any) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    ends = loop.time() + LONGEST_SECONDS
    try:
        yield b"retry: %d\n\n" % RETRY_MILLISECONDS
        while not subscriber.dropped and loop.time() < ends:
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if event.name in LIVE:
                yield b"event: %s\ndata: {}\n\n" % event.name.encode()
    finally:
        hub.unsubscribe(subscriber)


@router.get("/live")
async def live(request: Request, _: ViewerPage) -> Response:
    """New responses and feedback as they are stored; 204 (the browser stops asking) when the server holds its
    maximum of streams."""
    hub: Hub = request.app.state.stream_hub
    if hub.open_streams >= hub.max_streams:
        return Response(status_code=204)
    try:
        subscriber = await hub.subscribe()
    except Exception:  # the hub's TooManyStreams when another stream took the last place meanwhile
        return Response(status_code=204)
    return StreamingResponse(
        _events(hub, subscriber),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
