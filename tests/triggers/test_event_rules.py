"""Event rules: conditions, segments, delays, fallbacks, one invitation per occurrence, and the hook that queues
the evaluation once the events commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cxloop.customers import service as customers
from cxloop.customers.models import Event
from cxloop.customers.schemas import EventCreate
from cxloop.invitations.models import Invitation
from cxloop.jobs import dispatch
from cxloop.storage.database import Database
from cxloop.triggers import event_rules
from tests.channels.messaging.world import noon_today
from tests.factories.consent import record_consent
from tests.factories.customers import make_customer, make_segment
from tests.factories.triggers import live_survey, make_rule

NOON = noon_today()  # the last noon that has passed: events dated later than now are refused


def _store(db: Database, customer: str, name: str, **properties: Any) -> None:
    with db.unit_of_work() as session:
        customers.record_events(
            session,
            items=[EventCreate(customer_external_id=customer, name=name, occurred_at=NOON, properties=properties)],
        )


def _event_ids(db: Database) -> list[int]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(Event.id).order_by(Event.id)))


def test_an_event_matching_conditions_and_segment_invites_once_after_the_delay(db: Database, queued: Any) -> None:
    with db.unit_of_work() as session:
        survey = live_survey(session)
        vip = make_customer(session, external_id="vip", email="vip@example.com", attributes={"tier": "gold"})
        make_customer(session, external_id="plain", email="plain@example.com", attributes={"tier": "free"})
        segment = make_segment(session, 'attributes.tier = "gold"')
        rule = make_rule(
            session,
            survey,
            kind="event",
            event_name="ticket_solved",
            conditions=[{"property": "wait_minutes", "op": ">", "value": 30}],
            segment_id=segment.id,
            delay_seconds=600,
        )
    _store(db, "vip", "ticket_solved", wait_minutes=45)  # matches
    _store(db, "vip", "ticket_solved", wait_minutes=5)  # condition fails
    _store(db, "plain", "ticket_solved", wait_minutes=45)  # not in the segment
    _store(db, "vip", "page_viewed", wait_minutes=45)  # no rule listens: nothing queued
    assert [name for name, _ in queued] == [event_rules.EVALUATE_JOB] * 3
    ids = [event_id for _, payload in queued for event_id in payload["event_ids"]]
    with db.unit_of_work() as session:
        created = event_rules.evaluate_events(session, event_ids=ids, now=NOON)
    assert len(created) == 1
    (invitation,) = created
    assert invitation.customer_id == vip.id and invitation.rule_id == rule.id
    assert invitation.occurrence_key == f"rule:{rule.id}:event:{ids[0]}"
    assert invitation.status == "scheduled" and invitation.scheduled_for == NOON + timedelta(minutes=10)
    # evaluating again (a retried job, the catch-up sweep) creates nothing more
    with db.unit_of_work() as session:
        assert event_rules.evaluate_events(session, event_ids=ids, now=NOON) == []
        assert event_rules.catch_up(session, now=NOON + timedelta(minutes=1)) == []
        assert session.scalar(select(func.count()).select_from(Invitation)) == 1


def test_nothing_is_queued_when_the_transaction_rolls_back(db: Database, queued: Any) -> None:
    with db.unit_of_work() as session:
        make_rule(session, kind="event", event_name="order_delivered")
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        customers.record_events(
            session, items=[EventCreate(customer_external_id="c1", name="order_delivered", occurred_at=NOON)]
        )
        raise RuntimeError("the request failed after storing")
    assert queued == []
    _store(db, "c1", "order_delivered")
    assert len(queued) == 1


def test_the_catch_up_finds_events_whose_job_was_never_queued(db: Database) -> None:
    previous = dispatch.installed()
    dispatch.install(None)  # e.g. the queue was unreachable
    try:
        with db.unit_of_work() as session:
            make_customer(session, external_id="c1", email="c1@example.com")
            make_rule(session, kind="event", event_name="order_delivered")
        _store(db, "c1", "order_delivered")
    finally:
        dispatch.install(previous)
    with db.unit_of_work() as session:
        assert len(event_rules.catch_up(session, now=NOON + timedelta(minutes=5))) == 1


def test_sms_falls_back_to_email_without_sms_consent(db: Database, queued: Any) -> None:
    with db.unit_of_work() as session:
        make_customer(session, external_id="a", email="a@example.com", phone="+12015550001")
        b = make_customer(session, external_id="b", email="b@example.com", phone="+12015550002")
        record_consent(session, b.id, channel="sms", granted=True)
        make_rule(session, kind="event", event_name="delivered", channel="sms", fallbacks=["email"])
    _store(db, "a", "delivered")
    _store(db, "b", "delivered")
    with db.unit_of_work() as session:
        created = event_rules.evaluate_events(session, event_ids=_event_ids(db), now=NOON)
    channels = sorted((i.channel, i.requested_channel) for i in created)
    assert channels == [("email", "sms"), ("sms", None)]


def test_a_late_event_from_an_import_of_history_sets_off_nothing(db: Database, queued: Any) -> None:
    with db.unit_of_work() as session:
        make_customer(session, external_id="c1", email="c1@example.com")
        make_rule(session, kind="event", event_name="ticket_solved")
        customers.record_events(
            session,
            items=[EventCreate(customer_external_id="c1", name="ticket_solved", occurred_at=NOON - timedelta(days=90))],
        )
    with db.unit_of_work() as session:
        assert event_rules.evaluate_events(session, event_ids=_event_ids(db), now=NOON) == []


def test_a_disabled_rule_does_nothing(db: Database, queued: Any) -> None:
    with db.unit_of_work() as session:
        make_customer(session, external_id="c1", email="c1@example.com")
        make_rule(session, kind="event", event_name="ticket_solved", enabled=False)
    _store(db, "c1", "ticket_solved")
    with db.unit_of_work() as session:
        assert event_rules.evaluate_events(session, event_ids=_event_ids(db), now=NOON) == []
