"""A dead letter to look after: one `response.received` event whose one delivery gave up."""

from __future__ import annotations

from sqlalchemy import select

from cxloop.core.clock import utcnow
from cxloop.jobs import events, outbox
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.storage.database import Database


def make_dead_letter(db: Database) -> tuple[int, int]:
    """(event id, delivery id)."""
    with db.unit_of_work(write=True) as session:
        outbox.emit(session, events.RESPONSE_RECEIVED, {"response_ids": [1, 2]})
        event_id = session.scalars(select(OutboxEvent.id)).one()
        delivery = OutboxDelivery(
            event_id=event_id,
            handler="collection.note_responses_received",
            status="dead",
            attempts=8,
            next_attempt_at=utcnow(),
            last_error="RuntimeError: the partner API is down",
        )
        session.add(delivery)
        session.flush()
        return event_id, delivery.id


def statuses(db: Database) -> list[tuple[str, int]]:
    with db.unit_of_work() as session:
        return [(s, a) for s, a in session.execute(select(OutboxDelivery.status, OutboxDelivery.attempts))]
