"""A customer's events on their timeline (cxloop.timeline)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.customers.models import Event
from cxloop.storage.timeline import Position, TimelineEntry, read_entries


def event_entries(session: Session, *, customer_id: int, before: Position | None, limit: int) -> list[TimelineEntry]:
    """What they did or what happened to them (signed_up, order_delivered), by when it occurred."""
    return read_entries(
        session,
        select(Event).where(Event.customer_id == customer_id),
        kind="event",
        at=Event.occurred_at,
        id_=Event.id,
        before=before,
        limit=limit,
        describe=lambda row: (f"{row.name} (from {row.source})", {"event_id": row.id}),
    )
