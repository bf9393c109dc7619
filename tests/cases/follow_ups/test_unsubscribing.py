"""Follow-up emails carry the signed unsubscribe link and the RFC 8058 one-click headers as invitation emails do:
following it stops follow-ups only (the purpose registry), is a consent change on the customer's timeline, and the
next follow-up is refused naming the opt-out. Follow-up SMS end with the STOP wording of invitation SMS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient

from cxloop.cases.enums import FollowUpChannel
from cxloop.cases.follow_up_schemas import FollowUpAsk
from cxloop.cases.schemas import Actor
from cxloop.cases.service import follow_ups
from cxloop.channels import messaging_content as content
from cxloop.channels.follow_ups import deliver_follow_up
from cxloop.core.config import Settings
from cxloop.customers import service as customers
from cxloop.governance import consent
from cxloop.invitations.tokens import TokenSigner
from cxloop.storage.database import Database
from tests.cases.follow_ups.world import EMAIL_TEMPLATE, SMS_TEMPLATE, World, build, key_for
from tests.channels.messaging.conftest import SmtpServer, TwilioServer
from tests.channels.messaging.world import PUBLIC_URL, inbound_payload, post_sms
from tests.factories.consent import record_consent


@pytest.fixture
def world(db: Database, api: TestClient) -> World:
    built = build(db, locale="de-AT", phone="+4915112345678")
    for template in (EMAIL_TEMPLATE, SMS_TEMPLATE):
        assert api.post("/api/v1/follow-up-templates", json=template).status_code == 201
    return built


def _send(db: Database, world: World, settings: Settings, channel: FollowUpChannel = FollowUpChannel.email) -> None:
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        ask = FollowUpAsk(template="apology", channel=channel)
        follow_up_id = follow_ups.request_follow_up(
            session, case_id=world.case, ask=ask, actor=Actor("Ann"), now=now
        ).id
    assert deliver_follow_up(db, follow_up_id, settings=settings, now=now) is True


def _ledger(db: Database, customer_id: int) -> list[tuple[str, str, bool, str, str | None]]:
    with db.unit_of_work() as session:
        return [
            (c.purpose, c.channel, c.granted, c.source, c.note)
            for c in consent.history(session, customer_id=customer_id)
        ]


def _link(message: EmailMessage) -> str:
    url = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert url.startswith(f"{PUBLIC_URL}/u/") and url.endswith("?purpose=follow_up")
    return url.removeprefix(PUBLIC_URL)


def test_a_follow_up_email_carries_the_unsubscribe_link_and_one_click_stops_follow_ups_only(
    api: TestClient, db: Database, world: World, settings: Settings, smtp_server: SmtpServer
) -> None:
    _send(db, world, settings)
    (mail,) = smtp_server.recorder.messages
    path = _link(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_content().replace("\r\n", "\n")  # as received over SMTP
    assert text.startswith("Hallo Grete,")  # the agent's words first, the link below the signature line
    assert text.rstrip().endswith(f"-- \nKeine Rückmeldungs-E-Mails mehr erhalten: {PUBLIC_URL}{path}")

    page = api.get(path)
    assert page.status_code == 200 and "Keine Rückmeldungs-E-Mails mehr erhalten?" in page.text
    assert "grete@example.com" in page.text
    assert 'name="purpose" value="follow_up"' in page.text and 'name="purpose" value="*"' in page.text
    assert _ledger(db, world.customer) == []  # looking (or a link scanner) changes nothing

    done = api.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Wir senden keine E-Mails zu Ihrem Feedback mehr" in done.text
    assert _ledger(db, world.customer) == [("follow_up", "email", False, "list_unsubscribe", "follow-up email")]
    with db.unit_of_work() as session:
        states = consent.states_of(session, [world.customer])[world.customer]
    assert not consent.allowed(states, "email", "follow_up")
    assert consent.allowed(states, "email", "research")  # survey invitations still go: another purpose
    assert api.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert len(_ledger(db, world.customer)) == 1  # a second click writes nothing

    timeline = api.get(f"/api/v1/customers/{world.customer}/timeline").json()["items"]
    consent_entries = [e["summary"] for e in timeline if e["kind"] == "consent"]
    assert consent_entries == ["withdrew consent for follow_up on email (list_unsubscribe)"]
    refused = api.post(
        f"/api/v1/cases/{world.case}/follow-ups", json={"template": "apology"}, headers=key_for(db, world.agent)
    )
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["message"].startswith("opted_out: the customer opted out of follow-up")


def test_the_link_outlives_the_follow_up_but_not_the_customer_and_refuses_tampering(
    api: TestClient, db: Database, world: World, settings: Settings, smtp_server: SmtpServer
) -> None:
    _send(db, world, settings)
    path = _link(smtp_server.recorder.messages[0])
    assert api.post(path.replace("/u/", "/u/x")).status_code == 404
    assert api.post(path, data={"purpose": "*"}).status_code == 200  # the page's "every email" button
    assert _ledger(db, world.customer) == [("*", "email", False, "unsubscribe_link", "follow-up email")]

    signer = TokenSigner.of(settings)
    old = content.customer_unsubscribe_token(signer, world.customer, now=datetime.now(UTC) - timedelta(days=400))
    assert api.get(f"/u/{old}?purpose=follow_up").status_code == 410  # a year past the email: expired
    an_invitations = signer.sign(world.customer, datetime.now(UTC) + timedelta(days=1), purpose="invitation")
    assert api.get(f"/u/{an_invitations}?purpose=follow_up").status_code == 404  # another kind of token
    with db.unit_of_work() as session:
        customers.delete_customer(session, customer_id=world.customer)
    assert api.get(path).status_code == 404


def test_a_follow_up_sms_ends_with_the_stop_wording_and_stop_ends_follow_ups(
    api: TestClient, db: Database, world: World, settings: Settings, sms_server: TwilioServer
) -> None:
    with db.unit_of_work() as session:
        record_consent(session, world.customer, channel="sms", granted=True, purpose="follow_up")
    _send(db, world, settings, FollowUpChannel.sms)
    (call,) = sms_server.calls
    assert call.form["Body"][0].endswith("sorry! Reply to tell us more.\nSTOP zum Abmelden.")
    stopped = post_sms(api, inbound_payload("+4915112345678", "STOP"))
    assert stopped.status_code == 200 and "<Message>" in stopped.text
    refused = api.post(
        f"/api/v1/cases/{world.case}/follow-ups",
        json={"template": "apology", "channel": "sms"},
        headers=key_for(db, world.agent),
    )
    assert refused.status_code == 409 and refused.json()["errors"][0]["message"].startswith("opted_out:")
