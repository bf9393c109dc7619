"""Sending one invitation (or its one reminder) on its channel, through the sender the channel registered, with no
transaction open during the exchange with the mail server or SMS provider (jobs.leases):

1. a short write transaction locks and re-reads the invitation, skips it when it is not due (already sent or
   reminded, answered, suppressed, scheduled for later, a channel nobody sends, an SMS reminder in quiet hours, or
   leased by another worker), checks consent, the address, the survey and the expiry again (an opt-out that
   arrived after scheduling suppresses it, reason opted_out), composes the message and leases the invitation;
2. the exchange (SMTP, the SMS provider), no transaction open;
3. a short write transaction records the outcome through the invitations service.

Outcomes:
- sent: status `sent` (a reminder: `reminded_at`), `detail` = the email's Message-ID or the provider's message SID;
- refused for good (unknown recipient, invalid number) or not configured: status `failed`, `detail` = the reason;
- a temporary problem (server unreachable, rate limited, login refused): the lease is released with a retry delay
  (jobs.leases.RETRY_DELAY) and `DeliveryPostponed` is raised; the invitation stays due for the next sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from cxloop.branding import service as branding
from cxloop.channels import messaging_content as content
from cxloop.channels import outbound
from cxloop.channels.configuration import service as configuration
from cxloop.channels.outbound import DeliveryPostponed as DeliveryPostponed
from cxloop.channels.outbound import DeliveryRefused
from cxloop.collection import service as collection
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.customers import service as customers
from cxloop.governance import consent
from cxloop.governance.channels import ChannelSpec
from cxloop.governance.channels import registry as channels
from cxloop.governance.enums import SuppressionReason
from cxloop.governance.policy import PURPOSE, ResponseRule, answered_too_recently  # PURPOSE: invitations are research
from cxloop.invitations import availability
from cxloop.invitations import service as invitations
from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.tokens import TokenSigner
from cxloop.jobs import leases
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.triggers import sending

if TYPE_CHECKING:
    from cxloop.customers.models import Customer
    from cxloop.invitations.models import Invitation
    from cxloop.surveys.models import Survey

log = logging.getLogger(__name__)
# A reminder goes only to those who were sent the invitation and have not answered it.
_REMINDABLE = (InvitationStatus.sent.value, InvitationStatus.opened.value)
Outcome = tuple[bool, str]  # (sent, Message-ID / SMS sid) or (False, the reason it was refused for good)


def deliver(
    database: Database,
    invitation_id: int,
    *,
    settings: Settings,
    signer: TokenSigner,
    reminder: bool = False,
    now: datetime | None = None,
) -> bool:
    """Send a scheduled invitation (or, with `reminder`, its one reminder) on its channel and record the outcome;
    True when the channel was asked to send it. Opens its own short transactions: call it with none open.

    Raises DeliveryPostponed on a temporary failure."""

    def prepare(session: Session) -> leases.Prepared[Outcome] | None:
        return _claim(session, invitation_id, settings, signer, reminder=reminder, now=now or utcnow())

    def record(session: Session, row_id: int, outcome: Outcome) -> None:
        invitation = invitations.relock(session, row_id)
        if invitation is None:  # erased with its customer while the message was on its way
            return
        leases.release(invitation)
        sent, detail = outcome
        at = now or utcnow()
        if not sent:
            invitations.mark_failed(invitation, detail=detail, now=at)
        elif reminder:
            invitations.mark_reminded(invitation, now=at)
        else:
            invitations.mark_sent(invitation, detail=detail, now=at)
        session.flush()

    def postpone(session: Session, row_id: int) -> None:
        invitation = invitations.relock(session, row_id)
        if invitation is not None:
            leases.release(invitation, retry_at=(now or utcnow()) + leases.RETRY_DELAY)
            session.flush()

    return leases.send_leased(database, prepare=prepare, record=record, postpone=postpone)


def _claim(
    session: Session,
    invitation_id: int,
    settings: Settings,
    signer: TokenSigner,
    *,
    reminder: bool,
    now: datetime,
) -> leases.Prepared[Outcome] | None:
    """Step 1: re-check the invitation, compose its message and lease it; None when there is nothing to send (a
    suppression, expiry or refusal found here is recorded in this transaction)."""
    invitation = invitations.claim(session, invitation_id, now=now)
    if invitation is None:  # gone, or another worker is sending it right now
        return None
    spec = channels.get(invitation.channel)
    if spec is None or not spec.addressed or not _due(invitation, reminder=reminder, now=now):
        return None
    sender = outbound.sender_of(invitation.channel)
    if sender is None:
        log.warning("no sender is registered for %r: invitation %d waits", invitation.channel, invitation.id)
        return None
    if reminder and sending.quiet_now(session, channel=invitation.channel, customer_id=invitation.customer_id, now=now):
        return None
    customer = customers.require_customer(session, customer_id=invitation.customer_id)
    survey = surveys.require_survey(session, survey_id=invitation.survey_id)
    problem = _blocked(session, invitation, spec, customer, survey, now=now)
    if problem is not None:
        if reminder:  # a sent invitation keeps its status; only its reminder is dropped, for good
            invitations.drop_reminder(invitation, reason=problem.value, now=now)
        else:
            invitations.mark_suppressed(invitation, reason=problem, now=now)
        session.flush()
        return None
    if invitation.expires_at <= now:
        if reminder:
            invitations.drop_reminder(invitation, reason="expired", now=now)
        else:
            invitations.mark_expired(invitation, now=now)
        session.flush()
        return None
    settings = configuration.effective(session, settings)  # an admin's SMTP settings over the environment's
    letter = outbound.Letter(
        invitation_id=invitation.id,
        definition=surveys.require_version(session, survey_id=survey.id).definition,
        default_locale=survey.default_locale,
        locale=invitation.locale or customer.locale,
        address=_address(customer, spec),
        name=customer.name,
        survey_url=content.survey_url(settings.public_url, signer, invitation),
        unsubscribe_url=content.unsubscribe_url(settings.public_url, signer, invitation, purpose=PURPOSE),
        purpose=PURPOSE,
        reminder=reminder,
        settings=settings,
        now=now,
        brand=branding.current(session),
    )
    try:
        exchange = sender(letter)
    except DeliveryRefused as exc:
        invitations.mark_failed(invitation, detail=str(exc), now=now)
        session.flush()
        return None
    leases.hold(invitation, now=now)
    session.flush()
    return leases.Prepared(invitation.id, lambda: _outcome(exchange))


def _outcome(exchange: outbound.Exchange) -> Outcome:
    try:
        return True, exchange()
    except DeliveryRefused as exc:
        return False, str(exc)


def _due(invitation: Invitation, *, reminder: bool, now: datetime) -> bool:
    if reminder:
        return invitation.reminded_at is None and invitation.status in _REMINDABLE and invitation.response_id is None
    return invitation.status == InvitationStatus.scheduled.value and invitation.scheduled_for <= now


def _address(customer: Customer, spec: ChannelSpec) -> str:
    return str(getattr(customer, spec.address_field or "", None) or "")


def _blocked(
    session: Session, invitation: Invitation, spec: ChannelSpec, customer: Customer, survey: Survey, *, now: datetime
) -> SuppressionReason | None:
    """Why the invitation may not go out now, read afresh: consent, the address, the survey still open, and its
    response limit (the customer may have answered it another way since it was scheduled)."""
    states = consent.states_of(session, [customer.id]).get(customer.id, {})
    if consent.opted_out(states, invitation.channel, PURPOSE):
        return SuppressionReason.opted_out
    if not consent.allowed(states, invitation.channel, PURPOSE):
        return SuppressionReason.no_consent
    if not _address(customer, spec):
        return SuppressionReason.no_address
    if not availability.accepts_responses(session, survey, now=now):
        return SuppressionReason.survey_closed
    answered = collection.last_answers(session, customer_ids=[customer.id], survey_ids=[survey.id])
    rule = ResponseRule(survey.response_limit, survey.response_period_days)
    return answered_too_recently(rule, answered.get((customer.id, survey.id)), now)
