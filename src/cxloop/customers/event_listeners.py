"""Listeners told about every batch of newly stored events, inside the transaction that stores them.

Higher domains react to events this way without the customers domain importing them (triggers queue their rule
evaluation here). `cxloop.wiring.wire_domains()` registers the listeners; the registry is validated at the door.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session


class EventListener(Protocol):
    def __call__(self, session: Session, *, event_ids: Sequence[int], names: frozenset[str]) -> None: ...


_listeners: list[EventListener] = []


def register_listener(fn: EventListener) -> EventListener:
    """Call `fn(session, *, event_ids, names)` inside the transaction of every batch of stored events."""
    if not callable(fn):
        raise TypeError(f"an event listener must be callable, got {fn!r}")
    if fn in _listeners:
        raise ValueError(f"{fn!r} is registered already")
    _listeners.append(fn)
    return fn


def is_registered(fn: EventListener) -> bool:
    return fn in _listeners


def notify(session: Session, *, event_ids: Sequence[int], names: frozenset[str]) -> None:
    if not event_ids:
        return
    for listener in tuple(_listeners):
        listener(session, event_ids=event_ids, names=names)
