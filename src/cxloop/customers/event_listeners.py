"""The hook told about every batch of newly stored events, inside the transaction that stores them.

Higher domains react to events this way without the customers domain importing them (triggers queue their rule
evaluation here). `cxloop.wiring.wire_domains()` registers the listeners at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from cxloop.core.hooks import Hook


class EventListener(Protocol):
    def __call__(self, session: Session, *, event_ids: Sequence[int], names: frozenset[str]) -> None: ...


stored: Hook[EventListener] = Hook("events stored", example={"event_ids": (), "names": frozenset()})
