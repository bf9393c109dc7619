"""A customer's consent changes (the ledger) on their timeline (cxloop.timeline)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.governance.models import ConsentChange
from cxloop.storage.timeline import Position, TimelineEntry, read_entries


def _change(row: ConsentChange) -> tuple[str, dict[str, Any]]:
    verb = "granted" if row.granted else "withdrew"
    return f"{verb} consent for {row.purpose} on {row.channel} ({row.source})", {}


def consent_entries(session: Session, *, customer_id: int, before: Position | None, limit: int) -> list[TimelineEntry]:
    """Every consent they gave or withdrew, with how (source)."""
    query = select(ConsentChange).where(ConsentChange.customer_id == customer_id)
    at, id_ = ConsentChange.at, ConsentChange.id
    return read_entries(session, query, kind="consent", at=at, id_=id_, before=before, limit=limit, describe=_change)
