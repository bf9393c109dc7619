"""The live event hub of one server process: one task polls the outbox and fans new events out to the streams.

Every second (while at least one stream is open) the hub reads the outbox events above the last id it saw, notes
the team of each case they name (so each stream can keep to its caller's cases), and puts them on every stream's
queue. A queue holds at most `QUEUE_BOUND` events: a client that reads slower than events arrive is dropped, not
buffered without end, and reconnects with Last-Event-ID to read what it missed from the outbox (docs/stream.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from cxloop.api import background_task
from cxloop.cases import service as cases
from cxloop.jobs import events
from cxloop.jobs import service as outbox
from cxloop.storage.async_database import AsyncDatabase

log = logging.getLogger(__name__)

# What the stream carries: new responses and feedback for every caller, case changes for those who may see the case.
STREAMED = frozenset({events.RESPONSE_RECEIVED, events.FEEDBACK_RECEIVED, *events.CASE_EVENTS})
CASE_STREAMED = frozenset(events.CASE_EVENTS)
POLL_SECONDS = 1.0
QUEUE_BOUND = 256  # events waiting for one client; beyond it the client is dropped
READ_BATCH = 100  # outbox events read per query (the hub's poll and a resuming client's replay); < QUEUE_BOUND


class TooManyStreams(Exception):
    """The process holds `max_streams` streams already."""


@dataclass(frozen=True)
class StreamEvent:
    """An outbox event and the team of each case it names (empty for response and feedback events)."""

    id: int
    name: str
    payload: dict[str, Any]
    case_teams: Mapping[int, int | None] = field(default_factory=dict)


def case_ids_of(payload: Mapping[str, Any]) -> list[int]:
    """The cases an event names: `case_ids` of the change events, `case_id` of the SLA events."""
    if "case_ids" in payload:
        return [int(i) for i in payload["case_ids"]]
    return [int(payload["case_id"])] if "case_id" in payload else []


def read_events(session: Session, *, after_id: int, up_to: int | None = None) -> list[StreamEvent]:
    """The streamed outbox events above `after_id` (at most READ_BATCH), each with its cases' teams."""
    records = outbox.events_after(session, after_id=after_id, names=STREAMED, limit=READ_BATCH, up_to=up_to)
    named = {case_id for r in records if r.name in CASE_STREAMED for case_id in case_ids_of(r.payload)}
    teams = cases.case_teams(session, case_ids=named)
    return [
        StreamEvent(r.id, r.name, r.payload, {i: teams.get(i) for i in case_ids_of(r.payload) if i in teams})
        for r in records
    ]


@dataclass(eq=False)
class Subscriber:
    """One open stream: its queue, the hub's position when it joined (older events come from the outbox), and
    whether it was dropped for reading too slowly."""

    start: int
    queue: asyncio.Queue[StreamEvent] = field(default_factory=lambda: asyncio.Queue(maxsize=QUEUE_BOUND))
    dropped: bool = False


class StreamHub:
    """The streams of one process and the one task feeding them."""

    def __init__(self, database: AsyncDatabase, *, max_streams: int, poll_seconds: float = POLL_SECONDS) -> None:
        self.database = database
        self.max_streams = max_streams
        self.poll_seconds = poll_seconds
        self.last_id = 0
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def open_streams(self) -> int:
        return len(self._subscribers)

    async def subscribe(self) -> Subscriber:
        """Join the hub (TooManyStreams at the bound), starting its task if it is idle."""
        if len(self._subscribers) >= self.max_streams:
            raise TooManyStreams
        if self._task is None or self._task.done():
            self.last_id = await self.database.read(outbox.last_event_id)
            if self._task is None or self._task.done():  # another stream may have started it meanwhile
                self._task = asyncio.create_task(self._run(), name="cxloop-stream-hub")
        if len(self._subscribers) >= self.max_streams:
            raise TooManyStreams
        subscriber = Subscriber(start=self.last_id)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    async def close(self) -> None:
        """Stop the task (at shutdown)."""
        await background_task.stop(self._task)
        self._task = None

    async def _run(self) -> None:
        while self._subscribers:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self._poll()
            except Exception:  # a database hiccup: try again on the next tick, the streams stay open
                log.exception("the stream hub could not read the outbox")

    async def _poll(self) -> None:
        """Fan out every new event, READ_BATCH at a time: between batches the streams send what they hold, so a
        burst larger than a queue drops only the clients that do not keep up."""
        while True:
            found = await self.database.read(lambda session: read_events(session, after_id=self.last_id))
            if found:
                self.last_id = found[-1].id
                self._fan_out(found)
            if len(found) < READ_BATCH:
                return

    def _fan_out(self, found: list[StreamEvent]) -> None:
        for subscriber in tuple(self._subscribers):
            for event in found:
                try:
                    subscriber.queue.put_nowait(event)
                except asyncio.QueueFull:
                    subscriber.dropped = True
                    self._subscribers.discard(subscriber)
                    break
