"""Erasure in the outbox: event payloads hold ids only, but the ids of an erased person's rows are taken out (an event
left with nothing goes, its deliveries with it), and handlers' error texts are scrubbed of their identifiers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.storage.text_scrub import scrub_columns

PRIVACY_TABLES = ("outbox_events", "outbox_deliveries")
_BATCH = 1_000
_EVENTS = cast(Table, OutboxEvent.__table__)


def scrub_outbox(
    session: Session, *, rewrite: Callable[[str, dict[str, Any]], dict[str, Any] | None], needles: Sequence[str]
) -> dict[str, int]:
    """Pass every outbox event's (name, payload) through `rewrite` (same payload: kept, new: replaced, None: the event
    and its deliveries deleted), then scrub `needles` from the deliveries' last errors; counts per kind."""
    changed = dropped = 0
    last = 0
    while True:
        rows = session.execute(
            select(OutboxEvent.id, OutboxEvent.name, OutboxEvent.payload)
            .where(OutboxEvent.id > last)
            .order_by(OutboxEvent.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        replaced, gone = [], []
        for row in rows:
            new = rewrite(row.name, dict(row.payload))
            if new is None:
                gone.append(row.id)
            elif new != row.payload:
                replaced.append({"_id": row.id, "_payload": new})
        if gone:
            session.execute(delete(OutboxDelivery).where(OutboxDelivery.event_id.in_(gone)))
            session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(gone)))
        if replaced:
            statement = (
                update(_EVENTS)
                .where(_EVENTS.c.id == bindparam("_id"))
                .values(payload=bindparam("_payload", type_=_EVENTS.c.payload.type))
            )
            session.execute(statement, replaced)
        changed += len(replaced)
        dropped += len(gone)
    errors = scrub_columns(session, cast(Table, OutboxDelivery.__table__), ("last_error",), needles=needles)
    return {"outbox_events_scrubbed": changed, "outbox_events_deleted": dropped, "outbox_errors_scrubbed": errors}
