"""Fixtures for the customers tests: a listener that records every membership change."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session

from cxloop.customers import membership


@dataclass
class Recorder:
    """Membership changes heard by a registered listener, in order."""

    calls: list[tuple[int, list[int], list[int]]] = field(default_factory=list)
    in_transaction: list[bool] = field(default_factory=list)

    def __call__(self, session: Session, *, segment_id: int, added: Sequence[int], removed: Sequence[int]) -> None:
        self.calls.append((segment_id, list(added), list(removed)))
        self.in_transaction.append(session.in_transaction())

    def for_segment(self, segment_id: int) -> list[tuple[list[int], list[int]]]:
        return [(a, r) for s, a, r in self.calls if s == segment_id]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """A fresh registry holding only the recorder, so the test sees exactly the changes it causes even when the
    app's registry is already wired (and frozen)."""
    monkeypatch.setattr(membership, "changed", membership.changed.copy())
    heard = Recorder()
    membership.changed.register(heard)
    yield heard
