"""Erasing a customer takes their responses and feedback out of notification messages not yet pruned: a message left
with nothing of its own goes, one shared with others keeps only theirs."""

from __future__ import annotations

from cxloop.collection import service as collection
from cxloop.collection.schemas import FeedbackCreate
from cxloop.privacy import service as privacy
from cxloop.storage.database import Database
from cxloop.worker import build_relay
from tests.factories.customers import make_customer
from tests.notifications.conftest import add_destination, messages


def _feedback(external_id: str, customer: str) -> FeedbackCreate:
    return FeedbackCreate(
        kind="review",
        source="app",
        external_id=external_id,
        channel="review",
        text=f"from {customer}",
        customer_external_id=customer,
    )


def test_an_erasure_scrubs_pending_messages(db: Database) -> None:
    add_destination(db, "http://127.0.0.1:9/hooks")
    with db.unit_of_work(write=True) as session:
        make_customer(session, external_id="ann")
        make_customer(session, external_id="bob")
    with db.unit_of_work(write=True) as session:
        collection.record_feedback(session, items=[_feedback("f1", "ann")])
    with db.unit_of_work(write=True) as session:
        collection.record_feedback(session, items=[_feedback("f2", "ann"), _feedback("f3", "bob")])
    relay = build_relay(db)
    while relay.run_pass():
        pass
    assert len(messages(db)) == 2
    with db.unit_of_work(write=True) as session:
        erasure = privacy.erase_customer(session, reference="ann", requested_by="test")
    assert erasure.record.removed["notification_messages_deleted"] == 1
    assert erasure.record.removed["notification_messages_scrubbed"] == 1
    [left] = messages(db)
    assert [f["text"] for f in left.body["data"]["feedback"]] == ["from bob"]
    assert len(left.body["data"]["feedback_ids"]) == 1
    assert "from ann" not in repr(left.body) and "'ann'" not in repr(left.body)


def test_an_erasure_takes_the_customer_out_of_alert_case_and_digest_messages(db: Database) -> None:
    from datetime import UTC, datetime

    from cxloop.notifications import digests
    from tests.alerts.conftest import add_rule, add_survey, store_responses
    from tests.factories.cases import make_team, make_user

    add_destination(db, "http://127.0.0.1:9/hooks", events=["alert.fired", "case.created"])
    add_survey(db)
    with db.unit_of_work(write=True) as session:
        make_customer(session, external_id="ann", name="Ann Secretname")
        lead = make_user(session)
        team = make_team(session, lead_user_id=lead.id)
    add_rule(db, {"field": "nps", "op": "<=", "value": 6}, actions=[{"kind": "notify"}, {"kind": "open_case"}])
    store_responses(db, {"nps": 1, "comment": "ann's private words", "customer_external_id": "ann"})
    now = datetime.now(UTC)
    with db.unit_of_work(write=True) as session:
        week = digests.monday(now.date())  # this week's digest so far holds ann's answer among the detractors
        assert digests.queue_digest(session, team_id=team.id, week_start=week, now=now)
    assert "Secretname" in repr([m.body for m in messages(db)])
    assert "ann's private words" in repr([m.body for m in messages(db) if m.event_name == "digest.weekly"])
    with db.unit_of_work(write=True) as session:
        erasure = privacy.erase_customer(session, reference="ann", requested_by="test")
    assert erasure.record.removed["notification_messages_deleted"] == 2  # the alert's and the case's
    [digest] = messages(db)
    assert digest.event_name == "digest.weekly" and digest.body["data"]["detractors"] == []
    assert "Secretname" not in repr(digest.body) and "private words" not in repr(digest.body)
