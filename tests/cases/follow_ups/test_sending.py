"""Follow-ups from a case over HTTP and through the worker's sender: templates in the customer's language, consent
and the contact policy (refusals name their rule), the real SMTP server and Twilio stand-in, the first-response
clock, the activity log, follow_up.sent, retries and failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.cases import service as cases
from cxloop.cases.enums import FollowUpChannel
from cxloop.cases.follow_up_schemas import FollowUpAsk
from cxloop.cases.models import Case, CaseSlaMark, FollowUp
from cxloop.cases.schemas import Actor
from cxloop.cases.service import follow_ups
from cxloop.channels.follow_up_tasks import send_due_follow_ups
from cxloop.channels.follow_ups import deliver_follow_up
from cxloop.channels.outbound import DeliveryPostponed
from cxloop.core.config import Settings
from cxloop.customers import service as customers
from cxloop.governance import policy as contact_policy
from cxloop.jobs import NoPayload
from cxloop.jobs.models import OutboxEvent
from cxloop.storage.database import Database
from tests.cases.follow_ups.conftest import REPLY_DOMAIN
from tests.cases.follow_ups.world import (
    EMAIL_TEMPLATE,
    SMS_TEMPLATE,
    Runtime,
    World,
    build,
    follow_up_row,
    key_for,
)
from tests.channels.messaging.conftest import SmtpServer, TwilioServer
from tests.factories.consent import record_consent


@pytest.fixture
def world(db: Database) -> World:
    return build(db, locale="de-AT")


def _templates(api: TestClient) -> None:
    for template in (EMAIL_TEMPLATE, SMS_TEMPLATE):
        made = api.post("/api/v1/follow-up-templates", json=template)
        assert made.status_code == 201, made.text


def test_templates_are_checked_and_audited(api: TestClient) -> None:
    _templates(api)
    again = api.post("/api/v1/follow-up-templates", json=EMAIL_TEMPLATE)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "name"
    typo = api.post("/api/v1/follow-up-templates", json={**EMAIL_TEMPLATE, "name": "typo", "body": "Hi {frist_name}"})
    assert typo.status_code == 422
    assert typo.json()["errors"][0]["field"] == "body"
    assert "{frist_name}" in typo.json()["errors"][0]["message"]
    no_subject = api.post("/api/v1/follow-up-templates", json={"name": "x", "channel": "email", "body": "Hi"})
    assert no_subject.status_code == 422
    long_sms = api.post("/api/v1/follow-up-templates", json={"name": "y", "channel": "sms", "body": "a" * 1601})
    assert long_sms.status_code == 422
    listed = api.get("/api/v1/follow-up-templates").json()
    assert [(t["name"], t["channel"]) for t in listed] == [("apology", "email"), ("apology", "sms")]
    retired = api.patch(f"/api/v1/follow-up-templates/{listed[1]['id']}", json={"is_active": False})
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    bad_patch = api.patch(f"/api/v1/follow-up-templates/{listed[0]['id']}", json={"body": "{nope}"})
    assert bad_patch.status_code == 422
    trail = api.get("/api/v1/audit", params={"action": "follow_up_template.updated"}).json()["items"]
    assert len(trail) == 1 and trail[0]["changes"]["is_active"] == [True, False]


def test_preview_renders_in_the_customers_language_and_tells_consent_and_policy(
    api: TestClient, db: Database, world: World
) -> None:
    _templates(api)
    agent = key_for(db, world.agent)
    shown = api.post(f"/api/v1/cases/{world.case}/follow-ups/preview", json={"template": "apology"}, headers=agent)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["locale"] == "de"  # de-AT falls back to de
    assert body["subject"] == f"Zu Ihrem Feedback (#{world.case})"
    assert body["body"].startswith("Hallo Grete,") and "Wir bei Acme" in body["body"]
    assert body["to"] == "grete@example.com"
    assert body["consent"] == {"purpose": "follow_up", "channel": "email", "state": "allowed", "explicit": False}
    assert body["policy"]["allowed"] is True and body["policy"]["rule"] is None
    sms = api.post(
        f"/api/v1/cases/{world.case}/follow-ups/preview", json={"template": "apology", "channel": "sms"}, headers=agent
    ).json()
    assert sms["consent"]["state"] == "no_consent"  # SMS needs an opt-in
    assert sms["policy"] == {
        "allowed": False,
        "rule": "no_consent",
        "reason": "sms needs the customer's opt-in, which they have not given",
        "policy": "default",
        "send_at": None,
    }
    unknown = api.post(f"/api/v1/cases/{world.case}/follow-ups/preview", json={"template": "nope"}, headers=agent)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "template"
    with db.unit_of_work() as session:
        assert follow_ups.follow_ups_of_case(session, case_id=world.case) == []  # a preview stores nothing


def test_an_email_follow_up_is_sent_outside_the_transaction_and_stops_the_first_response_clock(
    api: TestClient, db: Database, world: World, settings: Settings, smtp_server: SmtpServer
) -> None:
    _templates(api)
    agent = key_for(db, world.agent)
    asked = api.post(f"/api/v1/cases/{world.case}/follow-ups", json={"template": "apology"}, headers=agent)
    assert asked.status_code == 201, asked.text
    follow_up_id = asked.json()["id"]
    assert asked.json()["status"] == "queued" and smtp_server.recorder.messages == []

    send_due_follow_ups(Runtime(settings, db), NoPayload())

    (mail,) = smtp_server.recorder.messages
    assert mail["To"] == "Grete Muster <grete@example.com>"
    assert mail["From"] == "Acme <feedback@acme.example>"
    assert mail["Subject"] == f"Zu Ihrem Feedback (#{world.case})"
    assert mail["Reply-To"] == follow_ups.reply_address(
        settings.secret_key.get_secret_value(), REPLY_DOMAIN, follow_up_id
    )
    assert mail.get_content().startswith("Hallo Grete,")
    row = follow_up_row(db, follow_up_id)
    assert (row.status, row.attempts, row.detail) == ("sent", 1, mail["Message-ID"])
    detail = api.get(f"/api/v1/cases/{world.case}", headers=agent).json()
    assert detail["first_response_at"] is not None
    sent = [a for a in detail["activity"] if a["kind"] == "follow_up_sent"]
    assert len(sent) == 1 and sent[0]["detail"]["follow_up_id"] == follow_up_id and sent[0]["actor"] == "a key"
    with db.unit_of_work() as session:
        names = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.name == "follow_up.sent")).all()
        assert [dict(p) for p in names] == [{"follow_up_ids": [follow_up_id]}]
        due = session.get_one(Case, world.case).first_response_due_at
        cases.sweep(session, now=due + timedelta(hours=1))  # past the first-response target: its clock stopped
        marks = session.scalars(select(CaseSlaMark.clock).where(CaseSlaMark.case_id == world.case)).all()
        assert "first_response" not in marks
    send_due_follow_ups(Runtime(settings, db), NoPayload())  # nothing left to send
    assert len(smtp_server.recorder.messages) == 1
    listed = api.get(f"/api/v1/cases/{world.case}/follow-ups", headers=agent).json()
    assert [(f["id"], f["status"]) for f in listed] == [(follow_up_id, "sent")]


def test_refusals_name_their_rule_and_store_nothing(api: TestClient, db: Database, world: World) -> None:
    _templates(api)
    agent = key_for(db, world.agent)
    with db.unit_of_work() as session:
        record_consent(session, world.customer, channel="email", granted=False, purpose="follow_up")
    refused = api.post(f"/api/v1/cases/{world.case}/follow-ups", json={"template": "apology"}, headers=agent)
    assert refused.status_code == 409
    assert refused.json()["errors"] == [
        {"field": "channel", "message": "opted_out: the customer opted out of follow-up messages by email"}
    ]
    sms = api.post(
        f"/api/v1/cases/{world.case}/follow-ups", json={"template": "apology", "channel": "sms"}, headers=agent
    )
    assert sms.status_code == 409 and sms.json()["errors"][0]["message"].startswith("no_consent:")
    with db.unit_of_work() as session:
        record_consent(session, world.customer, channel="sms", granted=True, purpose="follow_up")
    no_phone = api.post(
        f"/api/v1/cases/{world.case}/follow-ups", json={"template": "apology", "channel": "sms"}, headers=agent
    )
    assert no_phone.status_code == 409
    assert no_phone.json()["errors"][0]["message"] == "no_address: the customer has no phone number"
    # An opt-out from surveys does not silence follow-ups (purposes are separate)
    with db.unit_of_work() as session:
        record_consent(session, world.customer, channel="email", granted=True, purpose="follow_up")
        record_consent(session, world.customer, channel="email", granted=False, purpose="research")
    allowed = api.post(f"/api/v1/cases/{world.case}/follow-ups", json={"template": "apology"}, headers=agent)
    assert allowed.status_code == 201
    assert len(api.get(f"/api/v1/cases/{world.case}/follow-ups", headers=agent).json()) == 1


def test_agents_follow_up_on_their_own_teams_cases_only(api: TestClient, db: Database, world: World) -> None:
    _templates(api)
    outsider = key_for(db, world.outsider)
    for path in ("follow-ups", "follow-ups/preview"):
        answer = api.post(f"/api/v1/cases/{world.case}/{path}", json={"template": "apology"}, headers=outsider)
        assert answer.status_code == 404, answer.text
    assert api.get(f"/api/v1/cases/{world.case}/follow-ups", headers=outsider).status_code == 404
    viewer = key_for(db, None, role=Role.viewer)
    refused = api.post(f"/api/v1/cases/{world.case}/follow-ups", json={"template": "apology"}, headers=viewer)
    assert refused.status_code == 403


def _ask(db: Database, world: World, channel: FollowUpChannel = FollowUpChannel.email, *, now: datetime) -> int:
    with db.unit_of_work() as session:
        row = follow_ups.request_follow_up(
            session,
            case_id=world.case,
            ask=FollowUpAsk(template="apology", channel=channel),
            actor=Actor("Ann"),
            now=now,
        )
        return row.id


def test_an_opt_out_after_asking_fails_the_follow_up_when_its_turn_comes(
    api: TestClient, db: Database, world: World, settings: Settings, smtp_server: SmtpServer
) -> None:
    _templates(api)
    follow_up_id = _ask(db, world, now=datetime.now(UTC))
    with db.unit_of_work() as session:
        record_consent(session, world.customer, channel="email", granted=False, purpose="*")
    assert deliver_follow_up(db, follow_up_id, settings=settings) is False
    assert smtp_server.recorder.messages == []
    row = follow_up_row(db, follow_up_id)
    assert row.status == "failed" and row.detail is not None and row.detail.startswith("opted_out:")
    with db.unit_of_work() as session:
        detail = cases.case_detail(session, cases.require_case(session, case_id=world.case))
    assert detail.first_response_at is None
    assert [a.kind for a in detail.activity][-1] == "follow_up_failed"


def test_a_temporary_failure_is_retried_with_backoff_and_a_refusal_is_final(
    api: TestClient, db: Database, world: World, settings: Settings, smtp_server: SmtpServer
) -> None:
    _templates(api)
    now = datetime.now(UTC)
    follow_up_id = _ask(db, world, now=now)
    down = settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1"})  # nothing listens there
    with pytest.raises(DeliveryPostponed):
        deliver_follow_up(db, follow_up_id, settings=down, now=now)
    row = follow_up_row(db, follow_up_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.next_attempt_at == now + follow_ups.RETRY_BASE and "could not reach" in (row.detail or "")
    assert deliver_follow_up(db, follow_up_id, settings=settings, now=now) is False  # not due yet
    later = now + timedelta(seconds=31)
    assert deliver_follow_up(db, follow_up_id, settings=settings, now=later) is True
    assert follow_up_row(db, follow_up_id).status == "sent" and len(smtp_server.recorder.messages) == 1

    smtp_server.recorder.refuse.add("grete@example.com")
    second = _ask(db, world, now=later)
    assert deliver_follow_up(db, second, settings=settings, now=later) is True
    refused = follow_up_row(db, second)
    assert refused.status == "failed" and "550" in (refused.detail or "")


def test_retries_give_up_after_the_last_attempt(
    db: Database, api: TestClient, world: World, settings: Settings
) -> None:
    _templates(api)
    now = datetime.now(UTC)
    follow_up_id = _ask(db, world, now=now)
    down = settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:1"})
    for _ in range(follow_ups.MAX_ATTEMPTS):
        with pytest.raises(DeliveryPostponed):
            deliver_follow_up(db, follow_up_id, settings=down, now=now)
        now = follow_up_row(db, follow_up_id).next_attempt_at
    row = follow_up_row(db, follow_up_id)
    assert row.status == "failed" and row.attempts == follow_ups.MAX_ATTEMPTS
    assert (row.detail or "").startswith(f"gave up after {follow_ups.MAX_ATTEMPTS} attempts")


def test_an_sms_follow_up_goes_through_the_provider_and_waits_for_quiet_hours(
    api: TestClient, db: Database, world: World, settings: Settings, sms_server: TwilioServer
) -> None:
    _templates(api)
    with db.unit_of_work() as session:
        customer = cases.require_case(session, case_id=world.case).customer_id
        record_consent(session, customer, channel="sms", granted=True, purpose="follow_up")
        customers.require_customer(session, customer_id=customer).phone = "+4915112345678"
        contact_policy.current_policy(session).quiet_channels = ["sms"]
    night = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    follow_up_id = _ask(db, world, FollowUpChannel.sms, now=night)
    morning = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    assert follow_up_row(db, follow_up_id).next_attempt_at == morning
    assert deliver_follow_up(db, follow_up_id, settings=settings, now=night) is False
    assert sms_server.calls == []
    assert deliver_follow_up(db, follow_up_id, settings=settings, now=morning) is True
    (call,) = sms_server.calls
    assert call.form["To"] == ["+4915112345678"]
    said = f"Hi Grete, Acme here about #{world.case}: sorry! Reply to tell us more.\nSTOP zum Abmelden."
    assert call.form["Body"] == [said]  # the template's words, then the STOP wording in the customer's language
    assert "StatusCallback" not in call.form
    assert follow_up_row(db, follow_up_id).detail == "SM" + f"{1:032x}"


def test_a_case_in_the_holdout_gets_no_follow_up(api: TestClient, db: Database, world: World) -> None:
    _templates(api)
    with db.unit_of_work() as session:
        session.get_one(Case, world.case).held_out = True  # as the holdout percentage decides when a case opens
    refused = api.post(
        f"/api/v1/cases/{world.case}/follow-ups", json={"template": "apology"}, headers=key_for(db, world.agent)
    )
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["message"].startswith("holdout: the case is in the follow-up holdout")
    with db.unit_of_work() as session:
        assert session.scalars(select(FollowUp)).all() == []
