"""Builders for the mail providers' bounce webhooks: settings enabling every provider, an email invitation sent
through the test SMTP server (with the Message-ID the provider would quote), and what the webhook changed."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from cxloop.channels.delivery import deliver
from cxloop.core.config import Settings
from cxloop.governance import consent
from cxloop.invitations import service as invitations
from cxloop.storage.database import Database
from tests.channels.messaging.conftest import SmtpServer
from tests.channels.messaging.world import invite, make_customer, make_survey, noon_today, signer_of

ADDRESS = "ana@example.com"
POSTMARK_USER = "postmark-hook"
POSTMARK_PASSWORD = "postmark-webhook-password"
MAILGUN_KEY = "key-mailgun-signing-0123456789"


def with_providers(settings: Settings, **update: object) -> Settings:
    """The messaging settings with every bounce provider enabled and its secrets set."""
    values: dict[str, object] = {
        "email_bounce_providers": ["ses", "postmark", "sendgrid", "mailgun"],
        "postmark_webhook_user": POSTMARK_USER,
        "postmark_webhook_password": SecretStr(POSTMARK_PASSWORD),
        "mailgun_webhook_signing_key": SecretStr(MAILGUN_KEY),
        **update,
    }
    return settings.model_copy(update=values)


@dataclass(frozen=True)
class SentEmail:
    invitation_id: int
    customer_id: int
    message_id: str  # as the SMTP server received it, angle brackets included


def send_email(db: Database, settings: Settings, smtp_server: SmtpServer) -> SentEmail:
    at = noon_today()
    with db.unit_of_work(write=True) as session:
        survey = make_survey(session)
        customer = make_customer(session, email=ADDRESS, locale="en")
        invitation = invite(session, survey, customer.id, "email", at)
    deliver(db, invitation.id, settings=settings, signer=signer_of(settings), now=at)
    message_id = smtp_server.recorder.messages[-1]["Message-ID"]
    return SentEmail(invitation.id, customer.id, str(message_id))


def email_allowed(db: Database, customer_id: int) -> bool | None:
    """The customer's stored email consent (None: nothing stored, so email is allowed by default)."""
    with db.unit_of_work() as session:
        return (
            consent.states_of(session, [customer_id]).get(customer_id, {}).get(("*", "email"))
        )  # bounces: every purpose


def invitation_state(db: Database, invitation_id: int) -> tuple[str, str | None, str | None]:
    with db.unit_of_work() as session:
        invitation = invitations.get(session, invitation_id)
        return invitation.status, invitation.delivery_status, invitation.delivery_error
