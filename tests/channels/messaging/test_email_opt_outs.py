"""Following the unsubscribe link of a received email, the mail client's one-click unsubscribe (RFC 8058), and
the bounce/complaint webhook, through the real app."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.app import create_app
from cxloop.channels.delivery import deliver
from cxloop.collection import service as collection
from cxloop.core.config import Settings
from cxloop.governance import consent
from cxloop.governance.models import ConsentChange
from cxloop.invitations import service as invitations
from cxloop.storage.database import Database
from tests.channels.messaging.conftest import SmtpServer
from tests.channels.messaging.world import (
    EMAIL_WEBHOOK_SECRET,
    PUBLIC_URL,
    invite,
    make_customer,
    make_survey,
    noon_today,
    signer_of,
)
from tests.factories.consent import record_consent

EVENTS = "/webhooks/email/events"
AUTH = {"Authorization": f"Bearer {EMAIL_WEBHOOK_SECRET}"}


def _send(db: Database, settings: Settings, email: str = "ana@example.com") -> tuple[int, int]:
    """(invitation id, customer id) of an email invitation delivered to the test SMTP server."""
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, email=email, locale="de")
        invitation = invite(session, survey, customer.id, "email", at)
    deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at)
    return invitation.id, customer.id


def _unsubscribe_path(message: EmailMessage) -> str:
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    found = re.findall(r'href="(https://feedback\.example\.com/u/[^"]+)"', str(html.get_content()))  # type: ignore[attr-defined]
    assert len(found) == 1
    return found[0].removeprefix(PUBLIC_URL)


def _ledger(db: Database, customer_id: int) -> list[tuple[str, str, bool, str, str]]:
    with db.unit_of_work() as session:
        return [
            (c.purpose, c.channel, c.granted, c.source, c.actor)
            for c in consent.history(session, customer_id=customer_id)
        ]


def _email_state(db: Database, customer_id: int) -> consent.States:
    with db.unit_of_work() as session:
        return consent.states_of(session, [customer_id]).get(customer_id, {})


def test_following_the_unsubscribe_link_opts_out_of_email_at_once(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    _, customer_id = _send(db, settings)
    path = _unsubscribe_path(smtp_server.recorder.messages[0])

    page = client.get(path)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "ana@example.com" in page.text and f'action="{path.partition("?")[0]}"' in page.text
    assert path.endswith("?purpose=research")  # the link names the purpose of the email it came in
    assert 'name="purpose" value="research"' in page.text and 'name="purpose" value="*"' in page.text
    assert _ledger(db, customer_id) == []  # looking at the page (or a link scanner fetching it) changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "Sie sind abgemeldet" in done.text
    assert _ledger(db, customer_id) == [("research", "email", False, "unsubscribe_link", "customer")]
    assert _email_state(db, customer_id) == {("research", "email"): False}

    again = client.post(path)
    assert again.status_code == 200
    assert len(_ledger(db, customer_id)) == 1  # a second click writes no second entry


def test_one_click_unsubscribe_from_the_mail_client_is_recorded_as_list_unsubscribe(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    _, customer_id = _send(db, settings)
    (message,) = smtp_server.recorder.messages
    url = str(message["List-Unsubscribe"]).strip().strip("<>")

    response = client.post(url.removeprefix(PUBLIC_URL), data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert _ledger(db, customer_id) == [("research", "email", False, "list_unsubscribe", "customer")]


def test_unsubscribing_from_surveys_leaves_follow_ups_and_the_all_button_stops_both(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    _, customer_id = _send(db, settings)
    path = _unsubscribe_path(smtp_server.recorder.messages[0])

    assert client.post(path, data={"purpose": "research"}).status_code == 200
    states = _email_state(db, customer_id)
    assert not consent.allowed(states, "email", "research")
    assert consent.allowed(states, "email", "follow_up")  # a case follow-up the customer asked for still goes out

    everything = client.post(path, data={"purpose": "*"})
    assert everything.status_code == 200 and "keine E-Mails mehr" in everything.text
    states = _email_state(db, customer_id)
    assert not consent.allowed(states, "email", "follow_up") and not consent.allowed(states, "email", "research")
    assert [entry[0] for entry in _ledger(db, customer_id)] == ["research", "*"]

    bad = client.post(path.replace("purpose=research", "purpose=marketing"))
    assert bad.status_code == 400 and "names something we do not send" in bad.text
    assert client.get(path.replace("purpose=research", "purpose=marketing")).status_code == 400
    assert len(_ledger(db, customer_id)) == 2  # nothing written for the bad purpose


def test_a_follow_up_opt_out_does_not_silence_survey_invitations(db: Database) -> None:
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, email="bo@example.com")
        record_consent(session, customer.id, channel="*", granted=False, purpose="follow_up")
        invitation = invite(session, survey, customer.id, "email", at)
        assert (invitation.status, invitation.reason) == ("scheduled", None)


def test_after_unsubscribing_new_email_invitations_are_suppressed(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        other = make_survey(session, "post-support-csat")
        customer = make_customer(session, email="ana@example.com")
        first = invite(session, survey, customer.id, "email", at)
        second = invite(session, other, customer.id, "email", at + timedelta(days=30))
        first_id, customer_id, second_id = first.id, customer.id, second.id
    deliver(db, first_id, settings=settings, signer=signer_of(settings), now=at)
    assert client.post(_unsubscribe_path(smtp_server.recorder.messages[0])).status_code == 200

    deliver(db, second_id, settings=settings, signer=signer_of(settings), now=at + timedelta(days=30))
    with db.unit_of_work(write=True) as session:
        second_invitation = invitations.get(session, second_id)
        assert (second_invitation.status, second_invitation.reason) == ("suppressed", "opted_out")
        third = invite(session, other, customer_id, "email", at + timedelta(days=200))
        assert (third.status, third.reason) == ("suppressed", "opted_out")
    assert len(smtp_server.recorder.messages) == 1


def test_unknown_and_expired_unsubscribe_links_get_404_and_410_pages(
    db: Database, settings: Settings, client: TestClient
) -> None:
    _, customer_id = _send(db, settings)
    signer = signer_of(settings)
    expired = signer.sign(1, noon_today() - timedelta(days=1), purpose="unsubscribe")
    survey_token = signer.sign(1, noon_today() + timedelta(days=1))  # a survey link is not an unsubscribe link

    assert client.get("/u/not-a-token").status_code == 404
    assert client.post("/u/not-a-token").status_code == 404
    assert client.post(f"/u/{survey_token}").status_code == 404
    gone = client.post(f"/u/{expired}")
    assert gone.status_code == 410
    assert "expired" in gone.text
    assert _ledger(db, customer_id) == []


# ---------------------------------------------------------------------------------------------------------------
# Bounces and complaints


def _count_changes(db: Database) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(ConsentChange)) or 0)


def test_a_hard_bounce_by_message_id_opts_out_and_fails_the_invitation(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    invitation_id, customer_id = _send(db, settings)
    message_id = smtp_server.recorder.messages[0]["Message-ID"]

    response = client.post(
        EVENTS, json={"type": "bounce", "message_id": message_id, "reason": "550 5.1.1 user unknown"}, headers=AUTH
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "received": 1,
        "opted_out_customers": [customer_id],
        "failed_invitations": [invitation_id],
        "ignored": 0,
        "unmatched": 0,
    }
    assert _ledger(db, customer_id) == [
        ("*", "email", False, "bounce", "email provider")
    ]  # the address, for every purpose
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        assert invitation.status == "failed"
        assert invitation.detail == "bounce: 550 5.1.1 user unknown"


def test_a_complaint_by_address_opts_out_every_customer_with_it(
    db: Database, settings: Settings, client: TestClient
) -> None:
    _, customer_id = _send(db, settings)
    with db.unit_of_work(write=True) as session:
        twin = make_customer(session, email="ana@example.com").id
        make_customer(session, email="someone-else@example.com")

    response = client.post(
        EVENTS, json=[{"type": "complaint", "email": "ANA@example.com", "reason": "abuse report"}], headers=AUTH
    )

    assert response.status_code == 200, response.text
    assert sorted(response.json()["opted_out_customers"]) == sorted([customer_id, twin])
    assert _ledger(db, customer_id) == [("*", "email", False, "complaint", "email provider")]
    assert _count_changes(db) == 2
    resend = client.post(EVENTS, json={"type": "complaint", "email": "ana@example.com"}, headers=AUTH)
    assert resend.json()["opted_out_customers"] == []  # stored once
    assert _count_changes(db) == 2


def test_a_soft_bounce_and_an_unknown_address_change_nothing(
    db: Database, settings: Settings, client: TestClient
) -> None:
    invitation_id, _ = _send(db, settings)
    body = [
        {"type": "bounce", "bounce_type": "soft", "email": "ana@example.com", "reason": "mailbox full"},
        {"type": "bounce", "email": "nobody@example.com"},
    ]
    response = client.post(EVENTS, json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["ignored"] == 1 and response.json()["unmatched"] == 1
    assert _count_changes(db) == 0
    with db.unit_of_work() as session:
        assert invitations.get(session, invitation_id).status == "sent"


def _basic(secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"provider:{secret}".encode()).decode()}


def test_basic_auth_carries_the_secret_too(db: Database, settings: Settings, client: TestClient) -> None:
    _, customer_id = _send(db, settings)
    response = client.post(
        EVENTS, json={"type": "bounce", "email": "ana@example.com"}, headers=_basic(EMAIL_WEBHOOK_SECRET)
    )
    assert response.status_code == 200
    assert response.json()["opted_out_customers"] == [customer_id]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token x"}, {"Authorization": "Basic !!"}],
)
def test_events_without_the_right_secret_get_401_and_store_nothing(
    db: Database, settings: Settings, client: TestClient, headers: dict[str, str]
) -> None:
    _send(db, settings)
    response = client.post(EVENTS, json={"type": "bounce", "email": "ana@example.com"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert _count_changes(db) == 0


@pytest.mark.parametrize(
    ("body", "field", "needle"),
    [
        (b"{not json", "body", ""),
        (b"[]", "body", "non-empty"),
        (b'"bounce"', "body", ""),
        (b'{"type": "delivered", "email": "ana@example.com"}', "type", "bounce"),
        (b'{"type": "bounce"}', "body", "message_id"),
        (b'{"type": "bounce", "email": "not-an-address"}', "email", "pattern"),
        (
            b'[{"type": "bounce", "email": "ana@example.com"}, {"type": "bounce", "bounce_type": "x", "email": "a@b"}]',
            "1.bounce_type",
            "hard",
        ),
    ],
)
def test_malformed_events_get_400_naming_the_field_and_store_nothing(
    db: Database, settings: Settings, client: TestClient, body: bytes, field: str, needle: str
) -> None:
    invitation_id, _ = _send(db, settings)
    response = client.post(EVENTS, content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert any(e["field"] == field and needle in e["message"] for e in errors), errors
    assert _count_changes(db) == 0
    with db.unit_of_work() as session:
        assert invitations.get(session, invitation_id).status == "sent"


def test_events_are_refused_while_no_secret_is_configured(db: Database, settings: Settings) -> None:
    unconfigured = settings.model_copy(update={"email_webhook_secret": None})
    with TestClient(create_app(unconfigured, database=db)) as client:
        response = client.post(EVENTS, json={"type": "bounce", "email": "ana@example.com"}, headers=AUTH)
    assert response.status_code == 401
    assert "CXLOOP_EMAIL_WEBHOOK_SECRET" in response.json()["detail"]


def test_clicking_a_score_in_the_received_email_then_sending_it_records_it_and_opens_the_follow_up(
    db: Database, settings: Settings, smtp_server: SmtpServer, client: TestClient
) -> None:
    invitation_id, customer_id = _send(db, settings)
    html = smtp_server.recorder.messages[0].get_body(preferencelist=("html",))
    assert html is not None
    links = re.findall(r'href="(https://feedback\.example\.com/s/[^"]+\?nps=9)"', str(html.get_content()))  # type: ignore[attr-defined]
    assert len(links) == 1

    page = client.get(links[0].removeprefix(PUBLIC_URL))

    assert page.status_code == 200
    assert "Sie haben 9 gewählt." in page.text  # the score chosen, in German, not stored until sent
    token = links[0].removeprefix(PUBLIC_URL).split("?")[0].removeprefix("/s/")
    sent = client.post(f"/s/{token}", data={"question": "nps", "answer": "9", "action": "next"})
    assert "Das freut uns! Was gefällt Ihnen an uns am besten?" in sent.text  # the follow-up for a 9, in German
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        assert invitation.status == "answered" and invitation.response_id is not None
        stored = collection.require_response(session, response_id=invitation.response_id)
    assert (stored.nps, stored.is_partial, stored.customer_id) == (9, True, customer_id)
