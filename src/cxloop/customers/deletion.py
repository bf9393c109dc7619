"""Listeners told, inside the transaction, that customers are about to be deleted.

Higher domains keep derived data about customers (collection's score rollups count their feedback); they register
here so a deletion leaves nothing stale, without customers importing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session


class DeletionListener(Protocol):
    def __call__(self, session: Session, *, customer_ids: Sequence[int]) -> None: ...


_listeners: list[DeletionListener] = []


def register_deletion_listener(fn: DeletionListener) -> DeletionListener:
    """Call `fn(session, *, customer_ids)` before customers are deleted; registering twice is refused."""
    if not callable(fn):
        raise TypeError(f"a deletion listener must be callable, got {fn!r}")
    if fn in _listeners:
        raise ValueError(f"{fn!r} is registered already")
    _listeners.append(fn)
    return fn


def is_registered(fn: DeletionListener) -> bool:
    return fn in _listeners


def notify_deleting(session: Session, *, customer_ids: Sequence[int]) -> None:
    for listener in tuple(_listeners):
        listener(session, customer_ids=customer_ids)
