"""Every event is emitted by the real service call that makes the change, and the handlers the domains register in
their tasks.py (through cxloop.worker) receive each one once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction
from cxloop.cases.schemas import SYSTEM
from cxloop.collection import service as collection
from cxloop.collection.schemas import FeedbackCreate, ResponseCreate
from cxloop.core.clock import utcnow
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpdate
from cxloop.governance.enums import SuppressionReason
from cxloop.invitations import delivery_status
from cxloop.invitations import service as invitations
from cxloop.invitations.answers import record_answers
from cxloop.invitations.enums import DeliveryStatus
from cxloop.invitations.models import Invitation
from cxloop.invitations.service import InviteRequest
from cxloop.jobs import event_handlers, events, outbox
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.storage.database import Database
from cxloop.worker import build_relay
from tests.factories.cases import open_case
from tests.factories.customers import customer_data, make_customer
from tests.invitations.conftest import live_survey


def _events(db: Database) -> list[tuple[str, dict[str, Any]]]:
    with db.unit_of_work() as session:
        return [(e.name, e.payload) for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]


def _since(db: Database, before: int) -> list[tuple[str, dict[str, Any]]]:
    return _events(db)[before:]


def test_every_event_has_a_domain_handler() -> None:
    handled = {handler.event for handler in event_handlers}
    assert handled == set(events.catalog)


def test_customers_emit_customer_updated_when_created_or_changed(db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        ann = make_customer(session, email="ann@example.com")
        bob = make_customer(session)
    assert _events(db) == [
        ("customer.updated", {"customer_ids": [ann.id]}),
        ("customer.updated", {"customer_ids": [bob.id]}),
    ]
    with db.unit_of_work(write=True) as session:
        customers.update_customer(session, customer_id=ann.id, data=CustomerUpdate(name="Ann"))
        customers.upsert_customers(session, items=[customer_data(external_id=bob.external_id)])  # nothing changes
    assert _since(db, 2) == [("customer.updated", {"customer_ids": [ann.id]})]


def test_responses_emit_one_event_per_stored_batch(db: Database) -> None:
    live_survey(db)
    items = [ResponseCreate(survey="relationship-nps", answers={"nps": n}, idempotency_key=f"r{n}") for n in (3, 9)]
    with db.unit_of_work(write=True) as session:
        first = collection.record_responses(session, items=items)
    with db.unit_of_work(write=True) as session:
        again = collection.record_responses(session, items=items)  # duplicates: nothing new stored
    assert again.created == 0
    assert [e for e in _events(db) if e[0] == "response.received"] == [
        ("response.received", {"response_ids": first.ids})
    ]


def test_feedback_emits_feedback_received(db: Database) -> None:
    item = FeedbackCreate(kind="review", source="trustpilot", external_id="tp-1", channel="review", text="Great")
    with db.unit_of_work(write=True) as session:
        result = collection.record_feedback(session, items=[item, item.model_copy(update={"external_id": "tp-2"})])
    with db.unit_of_work(write=True) as session:
        collection.record_feedback(session, items=[item])  # a resend: stored once, no event
    assert [e for e in _events(db) if e[0] == "feedback.received"] == [
        ("feedback.received", {"feedback_ids": result.ids})
    ]


def test_invitations_emit_sent_answered_and_suppressed(db: Database) -> None:
    survey_id = live_survey(db)
    with db.unit_of_work(write=True) as session:
        ann = make_customer(session, email="ann@example.com")
        bob = make_customer(session, email="bob@example.com")
        first = invitations.invite(session, InviteRequest(survey_id, ann.id, "email")).id
        second = invitations.invite(session, InviteRequest(survey_id, bob.id, "email")).id
        nobody = make_customer(session)  # no address: the policy suppresses the invitation when it is made
        third = invitations.invite(session, InviteRequest(survey_id, nobody.id, "email")).id
    before = len(_events(db))
    with db.unit_of_work(write=True) as session:
        invitations.mark_sent(session.get_one(Invitation, first))
        invitations.mark_suppressed(session.get_one(Invitation, second), reason=SuppressionReason.opted_out)
    for nps in (4, 8):  # the second answer extends the response: the invitation is answered once
        with db.unit_of_work(write=True) as session:
            record_answers(session, session.get_one(Invitation, first), {"nps": nps}, channel="email", complete=False)
    names = [name for name, _ in _events(db)]
    assert ("invitation.suppressed", {"invitation_ids": [third]}) in _events(db)[:before]
    assert [e for e in _since(db, before) if e[0].startswith("invitation.")] == [
        ("invitation.sent", {"invitation_ids": [first]}),
        ("invitation.suppressed", {"invitation_ids": [second]}),
        ("invitation.answered", {"invitation_ids": [first]}),
    ]
    assert names.count("response.received") == 1


def test_the_worker_relay_hands_each_event_to_every_domain_handler_once(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    survey_id = live_survey(db)
    with db.unit_of_work(write=True) as session:
        ann = make_customer(session, external_id="c-1", email="ann@example.com")
        invitation = invitations.invite(session, InviteRequest(survey_id, ann.id, "email"))
        invitations.mark_sent(invitation)
        record_answers(session, invitation, {"nps": 10}, channel="email", complete=True)
        invitations.invite(session, InviteRequest(survey_id, make_customer(session).id, "email"))  # suppressed
        bounced = invitations.invite(
            session, InviteRequest(survey_id, make_customer(session, email="bo@example.com").id, "email")
        )
        invitations.mark_sent(bounced)
        assert delivery_status.record_delivery(bounced, status=DeliveryStatus.bounced)  # invitation.delivery_failed
        subscription = {"topic_arn": "arn:aws:sns:eu-west-1:1:t", "subscribe_url": "https://sns.example/confirm"}
        outbox.emit(session, events.EMAIL_SUBSCRIPTION_CONFIRMATION, subscription)
        item = FeedbackCreate(kind="review", source="trustpilot", external_id="tp-1", channel="review", text="Good")
        collection.record_feedback(session, items=[item])
        case, _ = open_case(session, ann.id, 1)  # case.created
        cases.add_note(session, case_id=case.id, text="called", actor=SYSTEM)  # case.updated
        cases.sweep(session, now=utcnow() + timedelta(minutes=100))  # case.sla_warning
        cases.sweep(session, now=utcnow() + timedelta(hours=3))  # case.sla_breached
        cases.transition(session, case_id=case.id, action=CaseAction.resolve, actor=SYSTEM, resolution="ok")
        cases.transition(session, case_id=case.id, action=CaseAction.close, actor=SYSTEM)
    relay = build_relay(db)
    with caplog.at_level(logging.INFO):
        while relay.run_pass():
            pass
    with db.unit_of_work() as session:
        deliveries = session.execute(
            select(OutboxEvent.name, OutboxDelivery.handler, OutboxDelivery.status, OutboxDelivery.attempts).join(
                OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id
            )
        ).all()
    # Every handler of the emitted events ran, once per event of its name, in one attempt (case, alert, follow-up
    # and verification events are in the catalogue before their features emit them).
    emitted = {name for name, _ in _events(db)}
    expected = {(h.event, h.name) for h in event_handlers if h.event in emitted}
    assert {(name, handler) for name, handler, _, _ in deliveries} == expected
    assert {(status, attempts) for _, _, status, attempts in deliveries} == {("done", 1)}
    assert len(deliveries) == sum(len(event_handlers.for_event(name)) for name, _ in _events(db))
    assert "1 responses received" in caplog.text and "1 feedback items received" in caplog.text
    assert "(invitation.answered): invitations [" in caplog.text
