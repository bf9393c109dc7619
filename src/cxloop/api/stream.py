"""GET /api/v1/stream: server-sent events of new feedback, responses and case changes for live dashboards.

Authenticated like the rest of the API (viewer and above); case events only for the cases the caller may see (an
agent: their teams'). `Last-Event-ID` (sent by browsers' EventSource on reconnect) resumes after that outbox id:
what the client missed is read from the outbox, page by page, before the live events. docs/stream.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from cxloop.access.deps import ViewerDep
from cxloop.api.errors import error_body
from cxloop.api.stream_hub import (
    CASE_STREAMED,
    StreamEvent,
    StreamHub,
    Subscriber,
    TooManyStreams,
    case_ids_of,
    read_events,
)
from cxloop.cases import service as cases
from cxloop.cases.schemas import Scope
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.core.int_bounds import INT64_MAX
from cxloop.storage.deps import get_async_database

router = APIRouter(tags=["stream"])

PATH = "/stream"
HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3_000  # how long a browser waits before reconnecting
RETRY_AFTER_SECONDS = 5  # when the process holds its maximum of streams


def visible(event: StreamEvent, scope: Scope) -> StreamEvent | None:
    """The event as the caller may see it: a case event keeps only the caller's cases (None: none of them)."""
    if event.name not in CASE_STREAMED or scope.team_ids is None:
        return event
    allowed = [i for i in case_ids_of(event.payload) if i in event.case_teams and scope.allows(event.case_teams[i])]
    if not allowed:
        return None
    if "case_ids" in event.payload:
        return StreamEvent(event.id, event.name, {**event.payload, "case_ids": allowed}, event.case_teams)
    return event


def frame(event: StreamEvent) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event.id, event.name.encode(), orjson.dumps(event.payload))


def _resume_from(last_event_id: str | None) -> int | None:
    if last_event_id is None:
        return None
    if not last_event_id.isdigit() or not 0 <= int(last_event_id) <= INT64_MAX:
        raise InvalidInput(
            "bad Last-Event-ID", errors=[FieldError("Last-Event-ID", "must be the id of an event of this stream")]
        )
    return int(last_event_id)


async def _events(
    request: Request, hub: StreamHub, subscriber: Subscriber, scope: Scope, resume: int | None, max_seconds: int | None
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    ends = loop.time() + max_seconds if max_seconds else None
    sent = subscriber.start if resume is None else resume
    try:
        yield b"retry: %d\n\n" % RETRY_MILLISECONDS
        database = get_async_database(request)
        while sent < subscriber.start:  # what a resuming client missed, up to where the live events begin
            missed = await database.read(partial(read_events, after_id=sent, up_to=subscriber.start))
            if not missed:
                break
            for event in missed:
                if (shown := visible(event, scope)) is not None:
                    yield frame(shown)
            sent = missed[-1].id
        while not subscriber.dropped:
            wait = HEARTBEAT_SECONDS if ends is None else min(HEARTBEAT_SECONDS, ends - loop.time())
            if wait <= 0:
                return
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), timeout=wait)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if event.id > sent and (shown := visible(event, scope)) is not None:
                yield frame(shown)
                sent = event.id
    finally:
        hub.unsubscribe(subscriber)


@router.get(
    PATH,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "events"}},
)
async def stream(
    request: Request,
    principal: ViewerDep,
    last_event_id: Annotated[
        str | None, Header(max_length=20, description="resume after this event id (EventSource sends it)")
    ] = None,
    max_seconds: Annotated[
        int | None, Query(ge=1, le=86_400, description="end the stream after this many seconds (default: never)")
    ] = None,
) -> StreamingResponse:
    """Server-sent events: `feedback.received`, `response.received` and `case.*` as they are stored, each with
    its outbox id; a comment every 15 s keeps the connection open. 503 when the process holds its maximum of
    streams (CXLOOP_MAX_STREAMS). A Last-Event-ID that is not a number is refused (422)."""
    resume = _resume_from(last_event_id)
    hub: StreamHub = request.app.state.stream_hub
    scope = await get_async_database(request).read(
        lambda session: cases.scope_of(session, role=principal.role, user_id=principal.user_id)
    )
    try:
        subscriber = await hub.subscribe()
    except TooManyStreams:
        return JSONResponse(  # type: ignore[return-value]
            error_body("too many live streams on this server; try again in a moment"),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    # The generator leaves the hub when the stream ends or the client goes; a stream cancelled before its first
    # byte is dropped by the hub once its queue fills.
    return StreamingResponse(
        _events(request, hub, subscriber, scope, resume, max_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
