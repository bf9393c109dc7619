"""The email channel's sender: composes the invitation email in the claiming transaction and hands it to the SMTP
server afterwards, with no transaction open (channels.outbound)."""

from __future__ import annotations

from email.message import EmailMessage

from cxloop.channels.email import composing, smtp
from cxloop.channels.outbound import DeliveryPostponed, DeliveryRefused, Exchange, Letter
from cxloop.core.config import Settings


def prepare(letter: Letter) -> Exchange:
    """The exchange that sends this letter's email (it returns the Message-ID)."""
    settings = letter.settings
    target = smtp_target(settings)
    mail = composing.InvitationMail(
        invitation_id=letter.invitation_id,
        definition=letter.definition,
        default_locale=letter.default_locale,
        locale=letter.locale,
        to=letter.address,
        name=letter.name,
        sender=settings.email_from,
        survey_url=letter.survey_url,
        unsubscribe_url=letter.unsubscribe_url,
        reminder=letter.reminder,
        brand=letter.brand,
        logo_url=letter.brand.logo_url(settings.public_url),
    )
    message = composing.compose(mail, now=letter.now)
    return lambda: send_message(target, message)


def smtp_target(settings: Settings) -> smtp.SmtpTarget:
    """The configured SMTP server; DeliveryRefused while CXLOOP_SMTP_URL is unset or malformed."""
    if not settings.smtp_url:
        raise DeliveryRefused("email is not configured: set CXLOOP_SMTP_URL")
    try:
        return smtp.parse_smtp_url(settings.smtp_url)
    except ValueError as exc:
        raise DeliveryRefused(str(exc)) from exc


def send_message(target: smtp.SmtpTarget, message: EmailMessage) -> str:
    try:
        smtp.send(target, message)
    except smtp.MailRejected as exc:
        raise DeliveryRefused(str(exc)) from exc
    except smtp.MailUnavailable as exc:
        raise DeliveryPostponed(str(exc)) from exc
    return str(message["Message-ID"])
