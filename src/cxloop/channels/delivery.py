"""Sending one invitation (or its one reminder) on its channel: email over SMTP, SMS through the provider.

The worker calls `deliver` inside a write unit of work, one invitation at a time. It is idempotent: the
invitation's row is locked and re-read first, so an invitation already sent (or reminded) is never sent again, by
a retried job or by a second worker. Consent is checked again right before sending: an opt-out that arrived after
the invitation was scheduled suppresses it (reason opted_out).

Outcomes:
- sent: status `sent`, `detail` = the email's Message-ID or the provider's message SID;
- refused for good (unknown recipient, invalid number) or not configured: status `failed`, `detail` = the reason;
- a temporary problem (server unreachable, rate limited, login refused): `DeliveryPostponed` is raised and the
  invitation is left as it was, so the job can be retried (roll back the unit of work).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cxloop.channels import messaging_content as content
from cxloop.channels.email import composing, smtp
from cxloop.channels.sms import composing as sms_composing
from cxloop.channels.sms import twilio
from cxloop.channels.sms.provider import SmsRejected, SmsUnavailable
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.customers import service as customers
from cxloop.customers.models import Customer
from cxloop.governance import consent
from cxloop.governance.enums import SuppressionReason
from cxloop.invitations import availability
from cxloop.invitations import service as invitations
from cxloop.invitations.enums import Channel, InvitationStatus
from cxloop.invitations.models import Invitation
from cxloop.invitations.tokens import TokenSigner
from cxloop.surveys import service as surveys
from cxloop.surveys.models import Survey

DELIVERED_CHANNELS = frozenset({Channel.email.value, Channel.sms.value})
# A reminder goes only to those who were sent the invitation and have not answered it.
_REMINDABLE = (InvitationStatus.sent.value, InvitationStatus.opened.value)


class DeliveryPostponed(Exception):
    """Sending failed for a reason that may pass; the invitation is unchanged and the send can be retried."""


def deliver(
    session: Session,
    invitation: Invitation,
    *,
    settings: Settings,
    signer: TokenSigner,
    reminder: bool = False,
    now: datetime | None = None,
) -> None:
    """Send a scheduled invitation (or, with `reminder`, its one reminder) on its channel, and record the outcome.

    Does nothing for an invitation that is not due: already sent (or reminded), answered, suppressed, failed,
    scheduled for later, or on a channel that is not sent (link, widget). Raises DeliveryPostponed on a temporary
    failure."""
    now = now or utcnow()
    # Lock and re-read: a second worker waits here, then sees `sent`. (Loaded by id, so an invitation object from
    # another session works too; in this session it is the same object, updated in place.)
    invitation = session.get_one(Invitation, invitation.id, with_for_update=True, populate_existing=True)
    if invitation.channel not in DELIVERED_CHANNELS or not _due(invitation, reminder=reminder, now=now):
        return
    customer = customers.require_customer(session, customer_id=invitation.customer_id)
    survey = surveys.require_survey(session, survey_id=invitation.survey_id)
    problem = _blocked(session, invitation, customer, survey, now=now)
    if problem is not None:
        if not reminder:  # a sent invitation keeps its status; only its reminder is dropped
            invitations.mark_suppressed(invitation, reason=problem, now=now)
        session.flush()
        return
    if invitation.expires_at <= now:
        if not reminder:
            invitations.mark_expired(invitation, now=now)
        session.flush()
        return
    definition = surveys.require_version(session, survey_id=survey.id).definition
    if invitation.channel == Channel.email.value:
        outcome = _send_email(invitation, customer, survey, definition, settings, signer, reminder=reminder, now=now)
    else:
        outcome = _send_sms(invitation, customer, survey, definition, settings, signer, reminder=reminder)
    sent, detail = outcome
    if not sent:
        invitations.mark_failed(invitation, detail=detail, now=now)
    elif reminder:
        invitations.mark_reminded(invitation, now=now)
    else:
        invitations.mark_sent(invitation, detail=detail, now=now)
    session.flush()


def _due(invitation: Invitation, *, reminder: bool, now: datetime) -> bool:
    if reminder:
        return invitation.reminded_at is None and invitation.status in _REMINDABLE and invitation.response_id is None
    return invitation.status == InvitationStatus.scheduled.value and invitation.scheduled_for <= now


def _blocked(
    session: Session, invitation: Invitation, customer: Customer, survey: Survey, *, now: datetime
) -> SuppressionReason | None:
    """Why the invitation may not go out now, read afresh: consent, the address, the survey still open."""
    states = consent.states_of(session, [customer.id]).get(customer.id, {})
    if consent.opted_out(states, invitation.channel):
        return SuppressionReason.opted_out
    if not consent.allowed(states, invitation.channel):
        return SuppressionReason.no_consent
    address = customer.email if invitation.channel == Channel.email.value else customer.phone
    if not address:
        return SuppressionReason.no_address
    if not availability.accepts_responses(session, survey, now=now):
        return SuppressionReason.survey_closed
    return None


def _send_email(
    invitation: Invitation,
    customer: Customer,
    survey: Survey,
    definition: dict[str, object],
    settings: Settings,
    signer: TokenSigner,
    *,
    reminder: bool,
    now: datetime,
) -> tuple[bool, str]:
    """(sent, Message-ID) or (False, the reason it was refused for good)."""
    if not settings.smtp_url:
        return False, "email is not configured: set CXLOOP_SMTP_URL"
    try:
        target = smtp.parse_smtp_url(settings.smtp_url)
    except ValueError as exc:
        return False, str(exc)
    assert customer.email is not None  # checked by _blocked
    mail = composing.InvitationMail(
        invitation_id=invitation.id,
        definition=definition,
        default_locale=survey.default_locale,
        locale=invitation.locale or customer.locale,
        to=customer.email,
        name=customer.name,
        sender=settings.email_from,
        survey_url=content.survey_url(settings.public_url, signer, invitation),
        unsubscribe_url=content.unsubscribe_url(settings.public_url, signer, invitation),
        reminder=reminder,
    )
    message = composing.compose(mail, now=now)
    try:
        smtp.send(target, message)
    except smtp.MailRejected as exc:
        return False, str(exc)
    except smtp.MailUnavailable as exc:
        raise DeliveryPostponed(str(exc)) from exc
    return True, str(message["Message-ID"])


def _send_sms(
    invitation: Invitation,
    customer: Customer,
    survey: Survey,
    definition: dict[str, object],
    settings: Settings,
    signer: TokenSigner,
    *,
    reminder: bool,
) -> tuple[bool, str]:
    """(sent, the provider's message SID) or (False, the reason it was refused for good)."""
    client = twilio.from_settings(settings)
    if client is None:
        return False, "SMS is not configured: set CXLOOP_SMS_ACCOUNT_SID, CXLOOP_SMS_AUTH_TOKEN and CXLOOP_SMS_FROM"
    assert customer.phone is not None  # checked by _blocked
    body = sms_composing.invitation_text(
        definition,
        default_locale=survey.default_locale,
        locale=invitation.locale or customer.locale,
        survey_link=content.survey_url(settings.public_url, signer, invitation),
        reminder=reminder,
    )
    try:
        return True, client.send(to=customer.phone, body=body)
    except SmsRejected as exc:
        return False, str(exc)
    except SmsUnavailable as exc:
        raise DeliveryPostponed(str(exc)) from exc
