"""Outbox event handlers, registered by each domain in its tasks.py: `@jobs.on("response.received")`.

A handler is `fn(session, event)`. It runs in its own transaction, which also marks its delivery done: a handler
that only writes to the database has its effect exactly once. One that reaches outside must be idempotent on
`event.id` (it runs again if the worker dies after the outside effect and before the commit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from cxloop.jobs.events import EventCatalog

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class Event(Generic[P]):
    """One stored event as a handler sees it: its id (the idempotency key), name, typed payload and time."""

    id: int
    name: str
    payload: P
    created_at: datetime
    attempt: int


Handle = Callable[[Session, Event[Any]], None]


@dataclass(frozen=True)
class Handler:
    """A registered handler: its dotted name (part of the idempotency key, so keep it stable) and its event."""

    name: str
    event: str
    handle: Handle


def _default_name(fn: Callable[..., Any]) -> str:
    module = fn.__module__.removeprefix("cxloop.").removesuffix(".tasks")
    return f"{module}.{fn.__name__}"


class HandlerRegistry:
    """Handlers by name and by event. Validated at the door (the event must exist); frozen at worker start."""

    def __init__(self, catalog: EventCatalog) -> None:
        self.catalog = catalog
        self._handlers: dict[str, Handler] = {}
        self._frozen = False

    def on(self, event: str, *, name: str | None = None) -> Callable[[Callable[[Session, Event[Any]], None]], Handle]:
        """Register `fn(session, event)` for `event`, under `name` (default `<domain>.<function>`)."""

        def register(fn: Callable[[Session, Event[Any]], None]) -> Handle:
            self.add(Handler(name or _default_name(fn), event, fn))
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
        if not callable(handler.handle):
            raise TypeError(f"handler {handler.name!r} is not callable")
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
