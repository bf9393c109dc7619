"""Follow-ups: a templated message from a case to its customer by email or SMS (docs/follow-ups.md).

Asking (`request_follow_up`) renders the template in the customer's language, passes `_refusal` (consent for the
follow_up purpose on the channel, the address, and the holdout hook) and the contact policy's quiet hours, stores the
message `queued` and queues the send job for when the transaction commits. The channels' sender
(cxloop.channels.follow_ups) then, with jobs.leases: `claim` (short transaction: lock, check `_refusal` again, count
the attempt), the exchange with the mail server or SMS provider with no transaction open, and `record_sent` /
`record_failed` / `postpone` (short transaction). Sent: the case's first-response clock stops (`first_response_at`),
the case's activity log and the customer's timeline show it, and `follow_up.sent` is emitted.

Replies come back through `record_reply`: an email reply to the per-follow-up address (`reply_address`, a MAC of
the follow-up id under the installation's secret key) or an SMS from the customer's number.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.branding import service as branding
from cxloop.cases.enums import ActivityKind, CaseAction, CaseStatus, FollowUpChannel, FollowUpStatus
from cxloop.cases.errors import FollowUpRefused
from cxloop.cases.follow_up_schemas import (
    ConsentView,
    FollowUpAsk,
    FollowUpPreview,
    FollowUpRead,
    FollowUpReplyRead,
    PolicyVerdict,
)
from cxloop.cases.models import Case, FollowUp, FollowUpReply
from cxloop.cases.schemas import EVERY_CASE, Actor, Scope
from cxloop.cases.service import follow_up_text as text
from cxloop.cases.service import holdout
from cxloop.cases.service.follow_up_templates import require_template
from cxloop.cases.service.lifecycle import transition
from cxloop.cases.service.records import emit, log_activity, require_case
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError
from cxloop.customers import service as customers
from cxloop.governance import consent, scoped_policies
from cxloop.governance.enums import SuppressionReason
from cxloop.governance.policy import after_quiet_hours
from cxloop.governance.purposes import Purpose
from cxloop.jobs import dispatch, leases, outbox
from cxloop.jobs.events import CASE_UPDATED, FOLLOW_UP_SENT

SEND_JOB = "follow_ups.send"  # queued when a follow-up is stored; payload {"follow_up_id": id}
SEND_DUE_JOB = "follow_ups.send_due"  # every minute: the due and the retried (the safety net of SEND_JOB)
PURPOSE = Purpose.follow_up
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
MAX_REPLY = 10_000  # characters of a reply kept
CUSTOMER = Actor("customer")
_ADDRESS_FIELD = {FollowUpChannel.email: "email", FollowUpChannel.sms: "phone"}
_ADDRESS_WORD = {FollowUpChannel.email: "email address", FollowUpChannel.sms: "phone number"}


class Person(Protocol):
    """What a follow-up reads of the customer (customers.service hands the row)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def locale(self) -> str | None: ...
    @property
    def timezone(self) -> str | None: ...


@dataclass(frozen=True)
class Refusal:
    """Why a follow-up may not go: the rule (a governance SuppressionReason) and a sentence for people."""

    rule: SuppressionReason
    reason: str


def _refusal(
    session: Session,
    *,
    case: Case,
    customer: Person,
    channel: FollowUpChannel,
    states: consent.States | None = None,
) -> Refusal | None:
    """THE predicate every follow-up passes: when asked for, when announced, and again when sent. None: it may go.

    The holdout of detractor cases (a random group that gets no follow-up, to measure what follow-ups change) is
    decided here too: its check returns Refusal(SuppressionReason.holdout, ...) for a held-out `case`.
    `states`: the customer's consent, when the caller read it for many customers at once."""
    if holdout.is_held_out(case):
        return Refusal(
            SuppressionReason.holdout,
            "the case is in the follow-up holdout: it is tracked, but its customer gets no follow-up (docs/cases.md)",
        )
    if states is None:
        states = consent.states_of(session, [customer.id]).get(customer.id, {})
    if consent.opted_out(states, channel.value, PURPOSE):
        return Refusal(SuppressionReason.opted_out, f"the customer opted out of follow-up messages by {channel.value}")
    if not consent.allowed(states, channel.value, PURPOSE):
        return Refusal(
            SuppressionReason.no_consent, f"{channel.value} needs the customer's opt-in, which they have not given"
        )
    if not address_of(customer, channel):
        return Refusal(SuppressionReason.no_address, f"the customer has no {_ADDRESS_WORD[channel]}")
    return None


def address_of(customer: Person, channel: FollowUpChannel) -> str:
    return str(getattr(customer, _ADDRESS_FIELD[channel]) or "")


def _consent_view(session: Session, customer: Person, channel: FollowUpChannel) -> ConsentView:
    states = consent.states_of(session, [customer.id]).get(customer.id, {})
    state = (
        "opted_out"
        if consent.opted_out(states, channel.value, PURPOSE)
        else "allowed"
        if consent.allowed(states, channel.value, PURPOSE)
        else "no_consent"
    )
    explicit = any(states.get((p, channel.value)) for p in (PURPOSE.value, "*"))
    return ConsentView(purpose=PURPOSE.value, channel=channel, state=state, explicit=explicit)


def verdict(
    session: Session,
    *,
    case: Case,
    customer: Person,
    channel: FollowUpChannel,
    now: datetime,
    policy: Any = None,
    states: consent.States | None = None,
) -> PolicyVerdict:
    """The contact policy's word on a follow-up now: `_refusal`, then quiet hours (they move the send, not refuse
    it). Follow-ups do not count towards, nor are held back by, the survey frequency cap: the customer asked.
    `policy` (the customer's ContactPolicy) and `states` (their consent) when the caller read them in bulk."""
    policy = policy if policy is not None else scoped_policies.policy_of(session, customer.id, now=now)
    refused = _refusal(session, case=case, customer=customer, channel=channel, states=states)
    if refused is not None:
        return PolicyVerdict(
            allowed=False, rule=refused.rule.value, reason=refused.reason, policy=policy.key, send_at=None
        )
    if channel.value in (policy.quiet_channels or []):
        send_at = after_quiet_hours(policy, now, customer.timezone)
        if send_at > now:
            return PolicyVerdict(
                allowed=True,
                rule=SuppressionReason.quiet_hours.value,
                reason=f"quiet hours for {channel.value} in the customer's timezone: it leaves at {send_at:%H:%M} UTC",
                policy=policy.key,
                send_at=send_at,
            )
    return PolicyVerdict(allowed=True, rule=None, reason="may be sent now", policy=policy.key, send_at=now)


@dataclass(frozen=True)
class Rendered:
    template_id: int | None
    template: str | None
    locale: str | None
    subject: str | None
    body: str


def placeholder_values(
    session: Session, *, case: Case, customer: Person, actor: Actor, organisation: str | None = None
) -> dict[str, str]:
    if organisation is None:
        organisation = branding.current(session).organisation_name or ""
    return {
        "first_name": text.first_name(customer.name),
        "name": customer.name or "",
        "organisation": organisation,
        "case_reference": f"#{case.id}",
        "agent_name": actor.name,
    }


def _render(session: Session, case: Case, customer: Person, ask: FollowUpAsk, actor: Actor) -> Rendered:
    template = require_template(session, name=ask.template, channel=ask.channel.value)
    chosen = text.pick_wording(template.subject, template.body, template.translations or {}, customer.locale)
    values = placeholder_values(session, case=case, customer=customer, actor=actor)
    subject = text.render(chosen.subject, values) if chosen.subject and ask.channel == FollowUpChannel.email else None
    return Rendered(template.id, template.name, chosen.locale, subject, text.render(chosen.body, values))


def preview(
    session: Session, *, case_id: int, ask: FollowUpAsk, actor: Actor, scope: Scope = EVERY_CASE, now: datetime
) -> FollowUpPreview:
    """The rendered message, the consent state and the contact policy's verdict; nothing is stored or sent."""
    case = require_case(session, case_id=case_id, scope=scope)
    customer = customers.require_customer(session, customer_id=case.customer_id)
    rendered = _render(session, case, customer, ask, actor)
    return FollowUpPreview(
        case_id=case.id,
        template=ask.template,
        channel=ask.channel,
        locale=rendered.locale,
        to=address_of(customer, ask.channel) or None,
        subject=rendered.subject,
        body=rendered.body,
        consent=_consent_view(session, customer, ask.channel),
        policy=verdict(session, case=case, customer=customer, channel=ask.channel, now=now),
    )


def refuse(refusal: Refusal | PolicyVerdict) -> FollowUpRefused:
    rule = refusal.rule.value if isinstance(refusal, Refusal) else refusal.rule
    return FollowUpRefused(
        f"the follow-up may not be sent: {refusal.reason}", errors=[FieldError("channel", f"{rule}: {refusal.reason}")]
    )


def request_follow_up(
    session: Session, *, case_id: int, ask: FollowUpAsk, actor: Actor, scope: Scope = EVERY_CASE, now: datetime
) -> FollowUp:
    """Store the rendered follow-up `queued` and queue its sending; 409 naming the rule that refuses it, 422 for an
    unknown template."""
    case = require_case(session, case_id=case_id, scope=scope, lock=True)
    customer = customers.require_customer(session, customer_id=case.customer_id)
    rendered = _render(session, case, customer, ask, actor)
    said = verdict(session, case=case, customer=customer, channel=ask.channel, now=now)
    if not said.allowed:
        raise refuse(said)
    row = new_follow_up(
        case=case,
        customer=customer,
        channel=ask.channel,
        rendered=rendered,
        actor=actor,
        at=said.send_at or now,
        now=now,
    )
    session.add(row)
    session.flush()
    send_when_committed(session, [row], now=now)
    return row


def new_follow_up(
    *,
    case: Case,
    customer: Person,
    channel: FollowUpChannel,
    rendered: Rendered,
    actor: Actor,
    at: datetime,
    now: datetime,
    improvement_id: int | None = None,
) -> FollowUp:
    """The row of a follow-up to send at `at` (not added to the session)."""
    return FollowUp(
        case_id=case.id,
        customer_id=customer.id,
        improvement_id=improvement_id,
        template_id=rendered.template_id,
        template=rendered.template,
        channel=channel.value,
        locale=rendered.locale,
        address=address_of(customer, channel),
        subject=rendered.subject,
        body=rendered.body,
        status=FollowUpStatus.queued.value,
        attempts=0,
        next_attempt_at=at,
        actor=actor.name[:200],
        actor_user_id=actor.user_id,
        created_at=now,
    )


def send_when_committed(session: Session, rows: Sequence[FollowUp], *, now: datetime) -> None:
    """Queue the send job of each stored follow-up due now, for when the transaction commits."""
    for row in rows:
        if row.next_attempt_at <= now:
            dispatch.after_commit(session, SEND_JOB, {"follow_up_id": row.id})


# ---------------------------------------------------------------------------------------------------------------
# Sending (called by cxloop.channels.follow_ups, in its short transactions)


@dataclass(frozen=True)
class Letter:
    """A claimed follow-up, as plain values for the sender (nothing here reaches back to the database)."""

    id: int
    customer_id: int
    channel: FollowUpChannel
    to: str
    name: str | None
    locale: str | None  # of the wording: the channel's own words (unsubscribe, STOP) follow it
    subject: str | None
    body: str
    from_name: str | None
    attempt: int


def due_ids(session: Session, *, now: datetime, limit: int = 200) -> list[int]:
    """Queued follow-ups whose time has come and that no worker holds."""
    query = (
        select(FollowUp.id)
        .where(FollowUp.status == FollowUpStatus.queued.value, FollowUp.next_attempt_at <= now)
        .where((FollowUp.lease_until.is_(None)) | (FollowUp.lease_until <= now))
        .order_by(FollowUp.next_attempt_at, FollowUp.id)
        .limit(limit)
    )
    return list(session.scalars(query).all())


def claim(session: Session, follow_up_id: int, *, now: datetime) -> Letter | None:
    """Lock a due follow-up and check `_refusal` again (an opt-out since it was asked fails it, reason named);
    the Letter to send, or None when there is nothing to send."""
    row = leases.claim(session, FollowUp, follow_up_id, now=now)
    if row is None or row.status != FollowUpStatus.queued.value or row.next_attempt_at > now:
        return None
    case = session.get_one(Case, row.case_id)
    customer = customers.require_customer(session, customer_id=row.customer_id)
    channel = FollowUpChannel(row.channel)
    refused = _refusal(session, case=case, customer=customer, channel=channel)
    if refused is not None:
        _fail(session, row, f"{refused.rule.value}: {refused.reason}", now=now)
        return None
    row.attempts += 1
    row.address = address_of(customer, channel)  # the address now, should it have changed since
    session.flush()
    return Letter(
        id=row.id,
        customer_id=row.customer_id,
        channel=channel,
        to=row.address,
        name=customer.name,
        locale=row.locale or customer.locale,
        subject=row.subject,
        body=row.body,
        from_name=branding.current(session).from_name,
        attempt=row.attempts,
    )


def hold(session: Session, follow_up_id: int, *, now: datetime) -> None:
    leases.hold(session.get_one(FollowUp, follow_up_id), now=now)
    session.flush()


def _relock(session: Session, follow_up_id: int) -> FollowUp | None:
    return session.get(FollowUp, follow_up_id, with_for_update=True, populate_existing=True)


def record_sent(session: Session, follow_up_id: int, *, detail: str, now: datetime) -> None:
    """Sent: stop the case's first-response clock (a case follow-up), log it on the case, emit follow_up.sent."""
    row = _relock(session, follow_up_id)
    if row is None:  # erased with its customer while the message was on its way
        return
    leases.release(row)
    row.status, row.sent_at, row.detail = FollowUpStatus.sent.value, now, detail
    case = session.get_one(Case, row.case_id, with_for_update=True)
    if row.improvement_id is None and case.first_response_at is None:
        case.first_response_at = now
    case.updated_at = now
    kind = ActivityKind.follow_up_sent if row.improvement_id is None else ActivityKind.improvement_announced
    info: dict[str, object] = {"follow_up_id": row.id, "channel": row.channel, "template": row.template}
    if row.improvement_id is not None:
        info["improvement_id"] = row.improvement_id
    if row.subject:
        info["subject"] = row.subject
    log_activity(session, case, kind, Actor(row.actor, row.actor_user_id), detail=info, note=row.body)
    session.flush()
    outbox.emit(session, FOLLOW_UP_SENT, {"follow_up_ids": [row.id]})
    emit(session, CASE_UPDATED, [case.id])


def record_failed(session: Session, follow_up_id: int, *, reason: str, now: datetime) -> None:
    row = _relock(session, follow_up_id)
    if row is not None:
        leases.release(row)
        _fail(session, row, reason, now=now)


def _fail(session: Session, row: FollowUp, reason: str, *, now: datetime) -> None:
    row.status, row.detail = FollowUpStatus.failed.value, reason[:2_000]
    case = session.get_one(Case, row.case_id)
    case.updated_at = now
    info = {"follow_up_id": row.id, "channel": row.channel, "reason": row.detail}
    log_activity(session, case, ActivityKind.follow_up_failed, Actor(row.actor, row.actor_user_id), detail=info)
    session.flush()
    emit(session, CASE_UPDATED, [case.id])


def postpone(session: Session, follow_up_id: int, *, reason: str, now: datetime) -> None:
    """A temporary failure: retry after 30 s, 1, 2, 4 ... minutes (at most an hour); failed after MAX_ATTEMPTS."""
    row = _relock(session, follow_up_id)
    if row is None:
        return
    if row.attempts >= MAX_ATTEMPTS:
        leases.release(row)
        _fail(session, row, f"gave up after {row.attempts} attempts: {reason}", now=now)
        return
    retry_at = now + min(RETRY_BASE * 2 ** (row.attempts - 1), RETRY_CAP)
    leases.release(row, retry_at=retry_at)
    row.next_attempt_at, row.detail = retry_at, reason[:2_000]
    session.flush()


# ---------------------------------------------------------------------------------------------------------------
# Replies


def reply_token(secret: str, follow_up_id: int) -> str:
    """`<id>-<mac>`: lower-case, so a mail system that folds the local part's case keeps it."""
    mac = hmac.new(secret.encode(), f"follow-up-reply:{follow_up_id}".encode(), hashlib.sha256).hexdigest()[:24]
    return f"{follow_up_id}-{mac}"


def reply_address(secret: str, domain: str, follow_up_id: int) -> str:
    return f"reply+{reply_token(secret, follow_up_id)}@{domain}"


def follow_up_of_token(session: Session, secret: str, token: str) -> int | None:
    """The follow-up a reply token names, when its MAC is right and the follow-up still exists."""
    head, _, _ = token.partition("-")
    if not head.isdigit() or len(head) > 18:
        return None
    follow_up_id = int(head)
    if not hmac.compare_digest(token.lower(), reply_token(secret, follow_up_id)):
        return None
    return follow_up_id if session.get(FollowUp, follow_up_id) is not None else None


def latest_sms_follow_up(
    session: Session, *, customer_ids: Sequence[int], since: datetime
) -> tuple[int, datetime] | None:
    """(id, sent_at) of the newest SMS follow-up sent to these customers since `since`."""
    row = session.execute(
        select(FollowUp.id, FollowUp.sent_at)
        .where(
            FollowUp.customer_id.in_(list(customer_ids)),
            FollowUp.channel == FollowUpChannel.sms.value,
            FollowUp.status == FollowUpStatus.sent.value,
            FollowUp.sent_at >= since,
        )
        .order_by(FollowUp.sent_at.desc(), FollowUp.id.desc())
        .limit(1)
    ).first()
    return None if row is None or row.sent_at is None else (row.id, row.sent_at)


@dataclass(frozen=True)
class ReplyOutcome:
    follow_up_id: int
    case_id: int
    outcome: str  # recorded, reopened (the case was resolved), after_close (closed: logged and flagged), duplicate


def record_reply(
    session: Session, *, follow_up_id: int, channel: str, message_id: str, body: str, now: datetime | None = None
) -> ReplyOutcome:
    """Append the customer's reply to the case's activity (and so the timeline), once per provider message id.

    A reply to a resolved case reopens it (the customer says it is not solved: what a support team expects); a
    closed case stays closed (a reopening could clash with the customer's newer open case) and the reply is logged
    with `after_close`, and the case.updated event tells its owner."""
    now = now or utcnow()
    row = session.get_one(FollowUp, follow_up_id)
    seen = session.scalar(select(FollowUpReply.id).where(FollowUpReply.message_id == message_id[:300]))
    if seen is not None:
        return ReplyOutcome(row.id, row.case_id, "duplicate")
    kept = body.strip()[:MAX_REPLY]
    session.add(
        FollowUpReply(
            follow_up_id=row.id,
            case_id=row.case_id,
            customer_id=row.customer_id,
            channel=channel,
            message_id=message_id[:300],
            text=kept,
            received_at=now,
        )
    )
    case = require_case(session, case_id=row.case_id, lock=True)
    info: dict[str, object] = {"follow_up_id": row.id, "channel": channel}
    outcome = "recorded"
    if case.status == CaseStatus.closed.value:
        info["after_close"] = True
        outcome = "after_close"
    log_activity(session, case, ActivityKind.customer_reply, CUSTOMER, detail=info, note=kept)
    case.updated_at = now
    session.flush()
    if case.status == CaseStatus.resolved.value:
        transition(session, case_id=case.id, action=CaseAction.reopen, actor=CUSTOMER, note="the customer replied")
        return ReplyOutcome(row.id, case.id, "reopened")
    emit(session, CASE_UPDATED, [case.id])
    return ReplyOutcome(row.id, case.id, outcome)


# ---------------------------------------------------------------------------------------------------------------
# Reading


def follow_ups_of_case(session: Session, *, case_id: int, scope: Scope = EVERY_CASE) -> list[FollowUpRead]:
    """The case's follow-ups, oldest first, each with its replies."""
    require_case(session, case_id=case_id, scope=scope)
    rows = session.scalars(select(FollowUp).where(FollowUp.case_id == case_id).order_by(FollowUp.id)).all()
    return follow_up_reads(session, rows)


def follow_up_reads(session: Session, rows: Sequence[FollowUp]) -> list[FollowUpRead]:
    replies: dict[int, list[FollowUpReplyRead]] = {row.id: [] for row in rows}
    if rows:
        found = session.scalars(
            select(FollowUpReply).where(FollowUpReply.follow_up_id.in_(list(replies))).order_by(FollowUpReply.id)
        )
        for reply in found:
            replies[reply.follow_up_id].append(FollowUpReplyRead.model_validate(reply))
    return [FollowUpRead.model_validate(r).model_copy(update={"replies": replies[r.id]}) for r in rows]
