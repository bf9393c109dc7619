"""A customer's consent changes (the ledger) on their timeline (cxloop.timeline)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.governance.models import ConsentChange
from cxloop.storage.timeline import Position, TimelineEntry, newest_before


def consent_entries(session: Session, *, customer_id: int, before: Position | None, limit: int) -> list[TimelineEntry]:
    """Every consent they gave or withdrew, with how (source)."""
    query = select(ConsentChange).where(ConsentChange.customer_id == customer_id)
    rows = session.scalars(
        newest_before(query, kind="consent", at=ConsentChange.at, id_=ConsentChange.id, before=before, limit=limit)
    )
    return [
        TimelineEntry(
            kind="consent",
            id=row.id,
            at=row.at,
            summary=f"{'granted' if row.granted else 'withdrew'} consent for {row.purpose} on {row.channel}"
            f" ({row.source})",
            links={},
        )
        for row in rows
    ]
