"""`cxloop worker` runs the outbox relay: a response stored by the web side reaches the collection domain's handler
in a real worker process, once."""

from __future__ import annotations

from sqlalchemy import select

from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.storage.database import Database
from tests.invitations.conftest import live_survey
from tests.jobs.conftest import WorkerWorld, wait_for


def _deliveries(db: Database) -> list[tuple[str, str, str, int]]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(OutboxEvent.name, OutboxDelivery.handler, OutboxDelivery.status, OutboxDelivery.attempts).join(
                OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id
            )
        )
        return sorted((n, h, s, a) for n, h, s, a in rows.all())


def test_the_worker_relays_outbox_events_to_their_handlers(db: Database, world: WorkerWorld) -> None:
    live_survey(db)
    world.start_worker(workers=1)
    world.start_worker(workers=1)  # two relays racing: each delivery still runs once
    with db.unit_of_work(write=True) as session:  # one batch, one event
        collection.record_responses(session, items=[ResponseCreate(survey="relationship-nps", nps=n) for n in range(5)])
    expected = [
        ("response.enriched", "alerts.evaluate_response_texts", "done", 1),
        ("response.received", "alerts.evaluate_responses", "done", 1),
        ("response.received", "collection.note_responses_received", "done", 1),
        ("response.received", "notifications.queue_messages.response.received", "done", 1),
        ("response.received", "text.enrich_responses", "done", 1),
    ]
    wait_for(lambda: _deliveries(db) == expected, what=f"the deliveries; workers said: {world.output()}")
    with db.unit_of_work(write=True) as session:
        for n in range(20):
            collection.record_responses(session, items=[ResponseCreate(survey="relationship-nps", nps=n % 11)])
            session.commit()
    wait_for(
        lambda: len(_deliveries(db)) == 105,
        what=f"105 deliveries (21 batches: 4 handlers, 1 of the enriched event); workers said: {world.output()}",
    )
    wait_for(lambda: {d[2:] for d in _deliveries(db)} == {("done", 1)}, what="all done, each in one attempt")
