"""Creating invitations under the contact policy, and moving them through their life.

`invite` is the one way an invitation comes into being (triggers, the API, reminders use it): it asks the contact
policy, and stores the invitation either as scheduled (with the channel and send time the policy chose) or as
suppressed with the reason. With an `occurrence_key` it is exactly-once: the unique index refuses a second row for
the same occurrence, so two workers (or a retried job) end with one invitation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxloop.collection.models import Response
from cxloop.core.clock import utcnow
from cxloop.customers.models import Customer
from cxloop.governance import consent, policy
from cxloop.governance.enums import SuppressionReason
from cxloop.invitations import availability
from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.errors import InvitationExpired, InvitationNotFound
from cxloop.invitations.models import Invitation
from cxloop.invitations.tokens import TokenExpired, TokenInvalid, TokenSigner
from cxloop.surveys.models import Survey

# Statuses that count as "contacted" for the frequency cap and the re-survey interval.
CONTACTED = (
    InvitationStatus.scheduled,
    InvitationStatus.sent,
    InvitationStatus.opened,
    InvitationStatus.answered,
)


@dataclass(frozen=True)
class InviteRequest:
    survey_id: int
    customer_id: int
    channel: str
    fallbacks: Sequence[str] = field(default_factory=tuple)  # tried in order when the channel cannot be used
    touchpoint_id: int | None = None
    rule_id: int | None = None
    occurrence_key: str | None = None  # one invitation per key, ever
    at: datetime | None = None  # when to send (default: now)


def _history(session: Session, customer_id: int, survey_id: int, window_start: datetime) -> policy.History:
    contacted = [status.value for status in CONTACTED]
    mine = select(Invitation.scheduled_for).where(
        Invitation.customer_id == customer_id, Invitation.status.in_(contacted)
    )
    recent = session.scalars(
        mine.where(Invitation.scheduled_for > window_start, Invitation.channel.in_(sorted(policy.ADDRESSED)))
    ).all()
    last = session.scalar(
        select(func.max(Invitation.scheduled_for)).where(
            Invitation.customer_id == customer_id, Invitation.survey_id == survey_id, Invitation.status.in_(contacted)
        )
    )
    answered = session.scalar(
        select(exists().where(Response.customer_id == customer_id, Response.survey_id == survey_id))
    )
    return policy.History(recent_sent=list(recent), last_to_survey=last, answered_survey=bool(answered))


def invite(session: Session, request: InviteRequest, *, now: datetime | None = None) -> Invitation:
    """Create an invitation (scheduled or suppressed with its reason), or return the one its occurrence made."""
    if request.occurrence_key is not None:
        existing = by_occurrence(session, request.occurrence_key)
        if existing is not None:
            return existing
    now = now or utcnow()
    at = request.at or now
    # Serialise invitations per customer (PostgreSQL row lock; SQLite writers are serial anyway), so two workers
    # cannot both pass the frequency cap.
    customer = session.scalars(select(Customer).where(Customer.id == request.customer_id).with_for_update()).one()
    survey = session.get_one(Survey, request.survey_id)
    rules = policy.current_policy(session)
    states = consent.states_of(session, [customer.id]).get(customer.id, {})
    recipient = policy.Recipient(customer.id, customer.email, customer.phone, customer.timezone, states)
    history = _history(session, customer.id, survey.id, at - timedelta(days=rules.window_days))
    if not availability.accepts_responses(session, survey, now=at):
        decision = policy.Decision(False, request.channel, at, SuppressionReason.survey_closed)
    else:
        decision = policy.decide(
            rules,
            recipient=recipient,
            channel=request.channel,
            fallbacks=request.fallbacks,
            history=history,
            resurvey_days=survey.resurvey_days,
            allow_multiple=survey.allow_multiple_responses,
            occurrence=request.occurrence_key or f"{survey.id}:{at.isoformat()}",
            at=at,
        )
    invitation = Invitation(
        survey_id=survey.id,
        customer_id=customer.id,
        channel=decision.channel,
        requested_channel=request.channel if decision.channel != request.channel else None,
        touchpoint_id=request.touchpoint_id,
        rule_id=request.rule_id,
        occurrence_key=request.occurrence_key,
        status=(InvitationStatus.scheduled if decision.send else InvitationStatus.suppressed).value,
        reason=decision.reason.value if decision.reason else None,
        locale=customer.locale,
        scheduled_for=decision.at,
        expires_at=decision.at + timedelta(days=survey.invitation_ttl_days),
        created_at=now,
        updated_at=now,
    )
    if request.occurrence_key is None:
        session.add(invitation)
        session.flush()
        return invitation
    try:
        with session.begin_nested():
            session.add(invitation)
    except IntegrityError:
        # Another worker stored this occurrence between our check and our insert.
        found = by_occurrence(session, request.occurrence_key)
        if found is None:
            raise
        return found
    return invitation


def by_occurrence(session: Session, occurrence_key: str) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.occurrence_key == occurrence_key))


def get(session: Session, invitation_id: int) -> Invitation:
    found = session.get(Invitation, invitation_id)
    if found is None:
        raise InvitationNotFound(f"no invitation with id {invitation_id}")
    return found


def by_token(session: Session, signer: TokenSigner, token: str, *, now: datetime | None = None) -> Invitation:
    """The invitation of a link token: 404 for a token this server did not sign, 410 once it has expired."""
    try:
        invitation_id = signer.verify(token, now=now)
    except TokenInvalid as exc:
        raise InvitationNotFound("this survey link is not valid") from exc
    except TokenExpired as exc:
        raise InvitationExpired("this survey link has expired") from exc
    found = session.get(Invitation, invitation_id)
    if found is None:  # deleted with its customer or survey
        raise InvitationNotFound("this survey link is not valid")
    return found


def token_for(signer: TokenSigner, invitation: Invitation) -> str:
    return signer.sign(invitation.id, invitation.expires_at)


def idempotency_key(invitation: Invitation) -> str:
    """The idempotency key of the invitation's response: every channel answering it stores one response."""
    return f"invitation:{invitation.id}"


def _touch(invitation: Invitation, now: datetime | None) -> datetime:
    now = now or utcnow()
    invitation.updated_at = now
    return now


def mark_sent(invitation: Invitation, *, detail: str | None = None, now: datetime | None = None) -> None:
    invitation.sent_at = _touch(invitation, now)
    invitation.status = InvitationStatus.sent.value
    invitation.detail = detail


def mark_opened(invitation: Invitation, *, now: datetime | None = None) -> None:
    """First open only; an answered invitation stays answered."""
    at = _touch(invitation, now)
    if invitation.opened_at is None:
        invitation.opened_at = at
    if invitation.status in (InvitationStatus.scheduled, InvitationStatus.sent):
        invitation.status = InvitationStatus.opened.value


def mark_answered(invitation: Invitation, *, response_id: int, now: datetime | None = None) -> None:
    at = _touch(invitation, now)
    invitation.opened_at = invitation.opened_at or at
    invitation.answered_at = invitation.answered_at or at
    invitation.response_id = response_id
    invitation.status = InvitationStatus.answered.value


def mark_suppressed(invitation: Invitation, *, reason: SuppressionReason, now: datetime | None = None) -> None:
    """Not sent after all (e.g. an opt-out arrived after it was scheduled); the reason counts in the report."""
    _touch(invitation, now)
    invitation.status = InvitationStatus.suppressed.value
    invitation.reason = reason.value


def mark_reminded(invitation: Invitation, *, now: datetime | None = None) -> None:
    """Its one reminder went out; the status stays (sent or opened)."""
    invitation.reminded_at = _touch(invitation, now)


def mark_expired(invitation: Invitation, *, now: datetime | None = None) -> None:
    """It expired before it could be sent."""
    _touch(invitation, now)
    invitation.status = InvitationStatus.expired.value


def mark_failed(invitation: Invitation, *, detail: str, now: datetime | None = None) -> None:
    _touch(invitation, now)
    invitation.status = InvitationStatus.failed.value
    invitation.detail = detail[:500]
