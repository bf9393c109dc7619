"""Outbox event handlers, registered by each domain in its tasks.py: `@jobs.on("response.received")`.

A handler is `fn(session, event)`. It runs in its own transaction, which also marks its delivery done: a handler
that only writes to the database has its effect exactly once. One that reaches outside must be idempotent on
`event.id` (it runs again if the worker dies after the outside effect and before the commit).

A handler with slow work that needs no lock (encoding comments with a language model) registers a `prepare` step
too: `prepare(database, event)` runs first with no transaction open (it opens its own reads), and its result
reaches the handler, in the short write transaction, as `event.prepared`. The handler re-checks what it read, since
the rows may have changed in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from cxloop.jobs.events import EventCatalog
from cxloop.storage.database import Database

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class Event(Generic[P]):
    """One stored event as a handler sees it: its id (the idempotency key), name, typed payload and time."""

    id: int
    name: str
    payload: P
    created_at: datetime
    attempt: int
    prepared: Any = None  # what the handler's prepare step returned (None without one)


Handle = Callable[[Session, Event[Any]], None]
Prepare = Callable[[Database, Event[Any]], Any]


@dataclass(frozen=True)
class Handler:
    """A registered handler: its dotted name (part of the idempotency key, so keep it stable) and its event."""

    name: str
    event: str
    handle: Handle
    prepare: Prepare | None = None


def _default_name(fn: Callable[..., Any]) -> str:
    module = fn.__module__.removeprefix("cxloop.").removesuffix(".tasks")
    return f"{module}.{fn.__name__}"


class HandlerRegistry:
    """Handlers by name and by event. Validated at the door (the event must exist); frozen at worker start."""

    def __init__(self, catalog: EventCatalog) -> None:
        self.catalog = catalog
        self._handlers: dict[str, Handler] = {}
        self._frozen = False

    def on(
        self, event: str, *, name: str | None = None, prepare: Prepare | None = None
    ) -> Callable[[Callable[[Session, Event[Any]], None]], Handle]:
        """Register `fn(session, event)` for `event`, under `name` (default `<domain>.<function>`), after
        `prepare(database, event)` when given (run with no transaction open; its result is `event.prepared`)."""

        def register(fn: Callable[[Session, Event[Any]], None]) -> Handle:
            self.add(Handler(name or _default_name(fn), event, fn, prepare))
            return fn

        return register

    def add(self, handler: Handler) -> None:
        if self._frozen:
            raise RuntimeError("handlers are frozen: register them at startup")
        if handler.event not in self.catalog:
            raise ValueError(f"no event is named {handler.event!r} (jobs/events.py lists them)")
        if "." not in handler.name or len(handler.name) > 200:
            raise ValueError(f"a handler name is dotted, e.g. 'collection.note_responses', got {handler.name!r}")
        if handler.name in self._handlers:
            raise ValueError(f"a handler named {handler.name!r} is registered already")
        if not callable(handler.handle) or not (handler.prepare is None or callable(handler.prepare)):
            raise TypeError(f"handler {handler.name!r} (or its prepare step) is not callable")
        self._handlers[handler.name] = handler

    def freeze(self) -> None:
        self._frozen = True
        self.catalog.freeze()

    def get(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    def for_event(self, event: str) -> list[str]:
        return [h.name for h in self._handlers.values() if h.event == event]

    def __iter__(self) -> Iterator[Handler]:
        return iter(tuple(self._handlers.values()))
