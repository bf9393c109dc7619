"""Email invitations sent through a real SMTP server (aiosmtpd): parts, headers, links, locale, idempotency,
consent re-checked at send time, and the SMTP server's refusals."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from cxloop.channels.configuration import service as configuration
from cxloop.channels.delivery import DeliveryPostponed, deliver
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core.config import Settings
from cxloop.invitations import service as invitations
from cxloop.invitations.models import Invitation
from cxloop.jobs import leases
from cxloop.storage.database import Database
from tests.channels.messaging.conftest import SmtpServer
from tests.channels.messaging.world import (
    PUBLIC_URL,
    invite,
    make_customer,
    make_survey,
    noon_today,
    signer_of,
)
from tests.factories.consent import record_consent


def _send_one(
    db: Database, settings: Settings, *, email: str = "ana@example.com", locale: str | None = "en", name: str = "Ana"
) -> int:
    """Create a survey, a customer and an email invitation, and deliver it; the invitation id."""
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, email=email, name=name, locale=locale)
        invitation = invite(session, survey, customer.id, "email", at)
        assert invitation.status == "scheduled"
    assert deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at)
    return invitation.id


def _header(message: EmailMessage, name: str) -> str:
    """A header's value; a long one is folded onto the next line, which the parser leaves as a leading space."""
    return str(message[name]).strip()


def _parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())  # type: ignore[attr-defined]


def test_invitation_email_has_both_parts_and_one_click_score_links(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    invitation_id = _send_one(db, settings)

    (message,) = smtp_server.recorder.messages
    (envelope,) = smtp_server.recorder.envelopes
    assert envelope.rcpt_tos == ["ana@example.com"]
    assert envelope.mail_from == "feedback@acme.example"
    assert _header(message, "Subject") == "How likely are you to recommend us to a friend or colleague?"
    assert message["To"] == "Ana <ana@example.com>"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = _parts(message)
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        token = invitations.token_for(signer_of(settings), invitation)
        assert invitation.status == "sent"
        assert invitation.detail == message["Message-ID"]
        assert invitation.sent_at is not None
    survey_link = f"{PUBLIC_URL}/s/{token}"
    for score in range(11):
        assert f'href="{survey_link}?nps={score}"' in html
        assert f"{score}: {survey_link}?nps={score}" in plain
    assert "How likely are you to recommend us" in html and "How likely are you to recommend us" in plain
    assert "Hello Ana," in plain
    assert f'href="{survey_link}"' in html and survey_link in plain
    assert f"cxloop-invitation-{invitation_id}." in message["Message-ID"]


def test_unsubscribe_headers_follow_rfc_8058_and_match_the_body_link(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    _send_one(db, settings)

    (message,) = smtp_server.recorder.messages
    plain, html = _parts(message)
    header = _header(message, "List-Unsubscribe")
    match = re.fullmatch(r"<(https://feedback\.example\.com/u/[A-Za-z0-9._-]+\?purpose=research)>", header)
    assert match is not None, header
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{match.group(1)}"' in html
    assert match.group(1) in plain


@pytest.mark.parametrize(
    ("locale", "subject", "greeting"),
    [
        ("de", "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?", "Hallo Ana,"),
        ("de-AT", "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?", "Hallo Ana,"),
        ("es", "¿Qué probabilidad hay de que nos recomiende a un amigo o colega?", "Hola, Ana:"),
        # The survey has no French: its default locale (English) is used for the question and the words around it.
        ("fr", "How likely are you to recommend us to a friend or colleague?", "Hello Ana,"),
        (None, "How likely are you to recommend us to a friend or colleague?", "Hello Ana,"),
    ],
)
def test_wording_follows_the_customer_locale_with_fallback_to_the_survey_default(
    db: Database, settings: Settings, smtp_server: SmtpServer, locale: str | None, subject: str, greeting: str
) -> None:
    _send_one(db, settings, locale=locale)

    (message,) = smtp_server.recorder.messages
    assert _header(message, "Subject") == subject
    plain, html = _parts(message)
    assert greeting in plain
    assert subject in plain
    language = (locale or "en").split("-")[0] if locale != "fr" else "en"
    assert f'<html lang="{language}">' in html


def test_a_second_deliver_sends_nothing(db: Database, settings: Settings, smtp_server: SmtpServer) -> None:
    invitation_id = _send_one(db, settings)
    assert not deliver(db, invitation_id, settings=settings, signer=signer_of(settings))
    assert len(smtp_server.recorder.messages) == 1
    with db.unit_of_work() as session:
        assert invitations.get(session, invitation_id).status == "sent"


def test_one_reminder_goes_to_a_non_responder_and_only_once(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    invitation_id = _send_one(db, settings)
    for _ in range(2):
        deliver(db, invitation_id, settings=settings, signer=signer_of(settings), reminder=True)

    first, reminder = smtp_server.recorder.messages
    assert _header(reminder, "Subject") == f"Reminder: {_header(first, 'Subject')}"
    assert reminder["Message-ID"] != first["Message-ID"]
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        assert invitation.reminded_at is not None
        assert invitation.status == "sent"
        assert invitation.detail == first["Message-ID"]


def test_an_opt_out_after_scheduling_suppresses_the_send(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, email="bo@example.com")
        invitation = invite(session, survey, customer.id, "email", at)
        assert invitation.status == "scheduled"
        record_consent(session, customer.id, channel="email", granted=False, actor="crm")
    deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at)
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation.id)
        assert (invitation.status, invitation.reason) == ("suppressed", "opted_out")
    assert smtp_server.recorder.messages == []


def test_an_answer_given_another_way_after_scheduling_suppresses_the_send_within_the_period(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)  # relationship NPS: one answer per 60 days
        customer = make_customer(session, email="cy@example.com")
        invitation = invite(session, survey, customer.id, "email", at)
        assert invitation.status == "scheduled"
        item = ResponseCreate(survey=survey.key, nps=9, customer_external_id=customer.external_id, submitted_at=at)
        collection.record_responses(session, items=[item])  # e.g. through the widget or an import
    deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at)
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation.id)
        assert (invitation.status, invitation.reason) == ("suppressed", "answered_in_period")
    assert smtp_server.recorder.messages == []


def test_a_recipient_the_server_refuses_marks_the_invitation_failed_with_the_reason(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    smtp_server.recorder.refuse.add("gone@example.com")
    invitation_id = _send_one(db, settings, email="gone@example.com")
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        assert invitation.status == "failed"
        assert invitation.detail is not None and "550 5.1.1 no such user here" in invitation.detail
    assert smtp_server.recorder.messages == []


def test_an_unreachable_server_postpones_and_leaves_the_invitation_scheduled(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    down = settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:9"})  # discard port: nothing listens
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, email="cy@example.com")
        invitation_id = invite(session, survey, customer.id, "email", at).id
    with pytest.raises(DeliveryPostponed, match="could not reach the SMTP server"):
        deliver(db, invitation_id, settings=down, signer=signer_of(down), now=at)
    with db.unit_of_work() as session:
        assert invitations.get(session, invitation_id).status == "scheduled"
    # Released with a retry delay: not tried again before it has passed, then sent.
    assert not deliver(db, invitation_id, settings=settings, signer=signer_of(settings), now=at)
    later = at + leases.RETRY_DELAY
    assert deliver(db, invitation_id, settings=settings, signer=signer_of(settings), now=later)
    assert len(smtp_server.recorder.messages) == 1


def test_email_without_smtp_configuration_fails_with_a_plain_reason(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    unconfigured = settings.model_copy(update={"smtp_url": None})
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, email="di@example.com")
        invitation = invite(session, survey, customer.id, "email", at)
    deliver(db, invitation.id, settings=unconfigured, signer=signer_of(unconfigured), now=at)
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation.id)
        assert invitation.status == "failed"
        assert invitation.detail == "email is not configured: set CXLOOP_SMTP_URL"
    assert smtp_server.recorder.messages == []


def test_smtp_settings_stored_in_the_app_replace_the_environment_s(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    unconfigured = settings.model_copy(update={"smtp_url": None, "email_from": "env <env@example.com>"})
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        values = {"smtp_url": smtp_server.url, "email_from": "Acme <feedback@acme.example>"}
        configuration.save(session, settings=unconfigured, values=values, now=at)
        invitation = invite(
            session, make_survey(session), make_customer(session, email="di@example.com").id, "email", at
        )
    assert deliver(db, invitation.id, settings=unconfigured, signer=signer_of(unconfigured), now=at)
    [mail] = smtp_server.recorder.messages
    assert (mail["To"], mail["From"]) == ("di@example.com", "Acme <feedback@acme.example>")


def test_an_invitation_scheduled_for_later_is_not_sent_early(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, email="ed@example.com")
        invitation = invite(session, survey, customer.id, "email", at)
    deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at.replace(hour=11))
    with db.unit_of_work() as session:
        assert invitations.get(session, invitation.id).status == "scheduled"
        stored = session.scalars(select(Invitation)).all()
        assert len(stored) == 1
    assert smtp_server.recorder.messages == []


def test_a_branded_email_says_who_is_asking(db: Database, settings: Settings, smtp_server: SmtpServer) -> None:
    from cxloop.branding import service as branding  # noqa: PLC0415  (only this test sets a brand)

    with db.unit_of_work(write=True) as session:
        branding.update(
            session,
            {"organisation_name": "Larkspur", "sender_name": "Larkspur Team", "primary_colour": "#1d6b52"},
            now=noon_today(),
        )
        branding.set_logo(session, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, now=noon_today())
    _send_one(db, settings)
    (message,) = smtp_server.recorder.messages
    assert _header(message, "From") == "Larkspur Team <feedback@acme.example>"
    plain, html = _parts(message)
    assert "We at Larkspur would love to hear how we are doing" in plain
    assert "because you are a customer of Larkspur." in plain and "customer of Larkspur." in html
    assert re.search(rf'<img src="{re.escape(PUBLIC_URL)}/brand/logo\?v=[0-9a-f]{{12}}" alt="Larkspur"', html)
    assert "border:1px solid #1d6b52" in html
