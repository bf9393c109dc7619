"""A person's alerts in privacy exports and erasures: exported, erased with them, and their ids taken out of the
`alert.fired` payloads waiting in the outbox."""

from __future__ import annotations

from sqlalchemy import select

from cxloop.jobs.models import OutboxEvent
from cxloop.privacy import service as privacy
from cxloop.storage.database import Database
from tests.alerts.conftest import add_rule, add_survey, fired, store_responses


def test_alerts_are_exported_and_erased(db: Database) -> None:
    add_survey(db)
    add_rule(db, {"field": "nps", "op": "<=", "value": 6}, actions=[{"kind": "notify"}, {"kind": "tag", "tags": ["x"]}])
    ids = store_responses(db, {"nps": 1, "customer_external_id": "ada-1"}, {"nps": 2, "customer_external_id": "bob-1"})
    with db.unit_of_work() as session:
        exported = privacy.export_customer(session, reference="ada-1").holders["alerts"]["alerts"]
    assert [(a["source_id"], a["tags"]) for a in exported] == [(ids[0], ["x"])]
    with db.unit_of_work(write=True) as session:
        erasure = privacy.erase_customer(session, reference="ada-1", requested_by="test")
    assert erasure.record.removed["alerts"] == 1 and erasure.erased["alerts"] == {exported[0]["id"]}
    assert fired(db) == [("response", ids[1])]
    with db.unit_of_work() as session:
        payloads = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.name == "alert.fired")).all()
    assert payloads and all(exported[0]["id"] not in p["alert_ids"] for p in payloads)
