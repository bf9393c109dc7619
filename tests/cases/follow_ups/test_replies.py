"""Customers' replies land on the case: email replies through the Mailgun route webhook (signed as Mailgun signs),
SMS replies through the Twilio webhook; a reply to a resolved case reopens it, one to a closed case is flagged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction, FollowUpChannel
from cxloop.cases.follow_up_schemas import FollowUpAsk
from cxloop.cases.models import FollowUpReply
from cxloop.cases.schemas import Actor
from cxloop.cases.service import follow_ups
from cxloop.channels.follow_ups import deliver_follow_up
from cxloop.core.config import Settings
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from tests.cases.follow_ups.conftest import REPLY_DOMAIN
from tests.cases.follow_ups.world import EMAIL_TEMPLATE, SMS_TEMPLATE, World, build, key_for, mailgun_form, post_reply
from tests.channels.messaging.conftest import SmtpServer
from tests.channels.messaging.world import inbound_payload, post_sms
from tests.factories.consent import record_consent

ANN = Actor("Ann")
PHONE = "+4915112345678"


@pytest.fixture
def world(db: Database, api: TestClient) -> World:
    built = build(db, phone=PHONE)
    for template in (EMAIL_TEMPLATE, SMS_TEMPLATE):
        assert api.post("/api/v1/follow-up-templates", json=template).status_code == 201
    with db.unit_of_work() as session:
        record_consent(session, built.customer, channel="sms", granted=True, purpose="follow_up")
    return built


def _sent(db: Database, world: World, settings: Settings, channel: FollowUpChannel = FollowUpChannel.email) -> int:
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        ask = FollowUpAsk(template="apology", channel=channel)
        follow_up_id = follow_ups.request_follow_up(session, case_id=world.case, ask=ask, actor=ANN, now=now).id
    assert deliver_follow_up(db, follow_up_id, settings=settings, now=now) is True
    return follow_up_id


def _address(settings: Settings, follow_up_id: int) -> str:
    return follow_ups.reply_address(settings.secret_key.get_secret_value(), REPLY_DOMAIN, follow_up_id)


def _resolve(db: Database, world: World) -> None:
    with db.unit_of_work() as session:
        cases.transition(session, case_id=world.case, action=CaseAction.resolve, actor=ANN, resolution="refunded")


def test_an_email_reply_reopens_the_resolved_case_once(
    client: TestClient, db: Database, world: World, settings: Settings, smtp_server: SmtpServer
) -> None:
    follow_up_id = _sent(db, world, settings)
    assert smtp_server.recorder.messages[0]["Reply-To"] == _address(settings, follow_up_id)
    _resolve(db, world)
    form = mailgun_form(f"Support <{_address(settings, follow_up_id)}>", "It is still broken, sorry.")
    answer = post_reply(client, form, multipart=True)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"outcome": "reopened", "follow_up_id": follow_up_id, "case_id": world.case}
    with db.unit_of_work() as session:
        detail = cases.case_detail(session, cases.require_case(session, case_id=world.case))
    assert detail.status == "in_progress" and detail.reopened == 1
    reply = next(a for a in detail.activity if a.kind == "customer_reply")
    assert (reply.actor, reply.note) == ("customer", "It is still broken, sorry.")  # the quoted text left out
    assert detail.activity[-1].kind == "status" and detail.activity[-1].detail["action"] == "reopen"
    # Mailgun retries: the same message again (signed anew) changes nothing
    again = post_reply(client, {**mailgun_form(form["recipient"], "x"), "Message-Id": form["Message-Id"]})
    assert again.json()["outcome"] == "duplicate"
    agent = key_for(db, world.agent)
    listed = client.get(f"/api/v1/cases/{world.case}/follow-ups", headers=agent).json()
    assert [r["text"] for r in listed[0]["replies"]] == ["It is still broken, sorry."]
    timeline = client.get(f"/api/v1/customers/{world.customer}/timeline", headers=agent).json()
    kinds = [entry["kind"] for entry in timeline["items"]]
    assert "follow_up" in kinds and "follow_up_reply" in kinds


def test_a_reply_to_a_closed_case_is_logged_and_flagged_not_reopened(
    client: TestClient, db: Database, world: World, settings: Settings
) -> None:
    follow_up_id = _sent(db, world, settings)
    with db.unit_of_work() as session:
        cases.transition(session, case_id=world.case, action=CaseAction.close, actor=ANN)
    answer = post_reply(client, mailgun_form(_address(settings, follow_up_id), "Thanks, all good now!"))
    assert answer.json()["outcome"] == "after_close"
    with db.unit_of_work() as session:
        detail = cases.case_detail(session, cases.require_case(session, case_id=world.case))
    assert detail.status == "closed"
    assert detail.activity[-1].kind == "customer_reply" and detail.activity[-1].detail["after_close"] is True


def test_the_inbound_webhook_refuses_what_mailgun_did_not_sign_and_ignores_unknown_tokens(
    client: TestClient, db: Database, world: World, settings: Settings
) -> None:
    follow_up_id = _sent(db, world, settings)
    good = mailgun_form(_address(settings, follow_up_id), "hello")
    forged = post_reply(client, {**good, "signature": "0" * 64})
    assert forged.status_code == 401
    stale = mailgun_form(_address(settings, follow_up_id), "hello", timestamp="1500000000")
    assert post_reply(client, stale).status_code == 401
    assert post_reply(client, good).status_code == 200
    assert post_reply(client, good).status_code == 401  # the same signed request again: a replay
    altered = _address(settings, follow_up_id).replace(f"+{follow_up_id}-", f"+{follow_up_id + 1}-")
    unmatched = post_reply(client, mailgun_form(altered, "hello"))
    assert unmatched.status_code == 200 and unmatched.json()["outcome"] == "unmatched"
    no_recipient = post_reply(client, mailgun_form("", "hello"))
    assert no_recipient.status_code == 400 and no_recipient.json()["errors"][0]["field"] == "recipient"
    with db.unit_of_work() as session:
        assert len(session.scalars(select(FollowUpReply)).all()) == 1


def test_an_sms_reply_after_a_follow_up_goes_to_the_case_not_to_a_survey(
    client: TestClient, db: Database, world: World, settings: Settings
) -> None:
    follow_up_id = _sent(db, world, settings, FollowUpChannel.sms)
    _resolve(db, world)
    answer = post_sms(client, inbound_payload(PHONE, "The courier never came."))
    assert answer.status_code == 200, answer.text
    assert "<Message>" not in answer.text  # the agent answers, not a robot
    with db.unit_of_work() as session:
        (reply,) = session.scalars(select(FollowUpReply)).all()
        assert (reply.follow_up_id, reply.channel, reply.text) == (follow_up_id, "sms", "The courier never came.")
        assert cases.require_case(session, case_id=world.case).status == "in_progress"
    stop = post_sms(client, inbound_payload(PHONE, "STOP"))  # keywords still mean what they mean
    assert "no more text messages" in stop.text
    with db.unit_of_work() as session:
        customer = customers.require_customer(session, customer_id=world.customer)
        assert customer.id == world.customer
        assert len(session.scalars(select(FollowUpReply)).all()) == 1
