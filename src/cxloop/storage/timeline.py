"""What a domain gives the customer timeline: small typed entries, read newest first before a keyset position.

Every domain's `<kind>_entries(session, *, customer_id, before, limit)` returns at most `limit` entries of one
kind, newest first by (at, kind, id), all strictly after `before` in that order; cxloop.timeline merges them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session


@dataclass(frozen=True)
class Position:
    """A place in the timeline: entries sort newest first by (at, kind, id), so this names exactly one entry."""

    at: datetime
    kind: str
    id: int


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a customer: what (kind, id), when, a one-line summary and ids of related rows."""

    kind: str
    id: int
    at: datetime
    summary: str
    links: dict[str, Any] = field(default_factory=dict)

    @property
    def position(self) -> Position:
        return Position(self.at, self.kind, self.id)


def read_entries(
    session: Session,
    query: Select[Any],
    *,
    kind: str,
    at: InstrumentedAttribute[Any],
    id_: InstrumentedAttribute[Any],
    before: Position | None,
    limit: int,
    describe: Callable[[Any], tuple[str, dict[str, Any]]],
) -> list[TimelineEntry]:
    """At most `limit` rows of `query` (one ORM entity of kind `kind`) that come after `before` in (at, kind, id)
    descending order, newest first, as entries: `describe` gives each row's summary and links. Of a kind sorting
    before `before.kind`, rows at the same instant still come after it."""
    if before is not None:
        if kind < before.kind:
            query = query.where(at <= before.at)
        elif kind == before.kind:
            # `at <= ...` on its own, so the (customer_id, time) index seeks to the cursor instead of scanning to it
            query = query.where(at <= before.at, or_(at < before.at, and_(at == before.at, id_ < before.id)))
        else:
            query = query.where(at < before.at)
    rows = session.scalars(query.order_by(at.desc(), id_.desc()).limit(limit))
    return [TimelineEntry(kind, getattr(row, id_.key), getattr(row, at.key), *describe(row)) for row in rows]
