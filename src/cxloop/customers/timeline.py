"""A customer's events on their timeline (cxloop.timeline)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.customers.models import Event
from cxloop.storage.timeline import Position, TimelineEntry, newest_before


def event_entries(session: Session, *, customer_id: int, before: Position | None, limit: int) -> list[TimelineEntry]:
    """What they did or what happened to them (signed_up, order_delivered), by when it occurred."""
    query = select(Event).where(Event.customer_id == customer_id)
    rows = session.scalars(
        newest_before(query, kind="event", at=Event.occurred_at, id_=Event.id, before=before, limit=limit)
    )
    return [
        TimelineEntry(
            kind="event",
            id=row.id,
            at=row.occurred_at,
            summary=f"{row.name} (from {row.source})",
            links={"event_id": row.id},
        )
        for row in rows
    ]
