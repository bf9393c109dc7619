"""Creating invitations under the contact policy, and moving them through their life.

`invite` (one request) and `invite_many` (a trigger sweep) are the one way an invitation comes into being: they ask
the contact policy and store the invitation either as scheduled (with the channel and send time the policy chose)
or as suppressed with the reason. With an `occurrence_key` it is exactly-once: the unique index refuses a second
row for the same occurrence (ON CONFLICT DO NOTHING), so two workers (or a retried job) end with one invitation.

Every write that stores, changes or deletes invitations tells `hooks.outcomes_changed` what it moved (analytics'
invitation rollups keep their counts exact from it): write invitations through this package only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session, object_session

from cxloop.collection import service as collection
from cxloop.collection.enums import Channel
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError
from cxloop.customers import service as customers
from cxloop.governance import consent, policy, scoped_policies
from cxloop.governance.channels import registry as channels
from cxloop.governance.enums import SuppressionReason
from cxloop.invitations import availability, hooks
from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.errors import InvalidInvitation, InvitationExpired, InvitationNotFound
from cxloop.invitations.models import Invitation
from cxloop.invitations.schemas import InvitationCreate
from cxloop.invitations.tokens import TokenExpired, TokenInvalid, TokenSigner
from cxloop.jobs import dispatch, events, leases, outbox
from cxloop.journeys import service as journeys
from cxloop.storage.dialect_insert import dialect_insert
from cxloop.storage.pagination import Page, order_clause, paginate
from cxloop.surveys import service as surveys

_CHUNK = 1_000
SEND_JOB = "invitations.send"  # one invitation, sent by the worker (cxloop.triggers.tasks.send_invitation)
_TABLE = cast(Table, Invitation.__table__)
_SORTABLE = {name: _TABLE.c[name] for name in ("id", "created_at", "scheduled_for", "status")}
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


def invite(session: Session, request: InviteRequest, *, now: datetime | None = None) -> Invitation:
    """Create an invitation (scheduled or suppressed with its reason), or return the one its occurrence made."""
    if request.occurrence_key is not None:
        existing = by_occurrence(session, request.occurrence_key)
        if existing is not None:
            return existing
    ids = invite_many(session, [request], now=now)
    if ids:
        return session.get_one(Invitation, ids[0])
    # Not stored: another worker stored this occurrence in between, or the customer or survey is gone.
    found = by_occurrence(session, request.occurrence_key) if request.occurrence_key else None
    if found is None:
        raise InvitationNotFound(f"customer {request.customer_id} or survey {request.survey_id} does not exist")
    return found


def create_invitation(session: Session, *, data: InvitationCreate, now: datetime | None = None) -> Invitation:
    """Invite a customer by hand (the API): the survey, customer and touchpoint are named by key or external id.
    A link invitation due now counts as sent at once, since the caller hands the link out."""
    survey = surveys.get_survey(session, key=data.survey)
    customer = customers.get_customer(session, external_id=data.customer_external_id)
    touchpoint_id = None
    errors = []
    if survey is None:
        errors.append(FieldError("survey", f"no survey with key '{data.survey}'"))
    if customer is None:
        errors.append(FieldError("customer_external_id", f"no customer with external id '{data.customer_external_id}'"))
    if data.touchpoint is not None:
        found = journeys.touchpoint_index(session).get(data.touchpoint)
        touchpoint_id = found[0] if found else None
        if touchpoint_id is None:
            errors.append(FieldError("touchpoint", f"no touchpoint with key '{data.touchpoint}'"))
    if errors or survey is None or customer is None:
        raise InvalidInvitation("the invitation names things that do not exist", errors=errors)
    invitation = invite(
        session,
        InviteRequest(
            survey_id=survey.id,
            customer_id=customer.id,
            channel=data.channel.value,
            fallbacks=tuple(channel.value for channel in data.fallbacks),
            touchpoint_id=touchpoint_id,
            occurrence_key=data.occurrence_key,
            at=data.send_at,
        ),
        now=now,
    )
    if (
        invitation.channel == Channel.link
        and invitation.status == "scheduled"
        and invitation.scheduled_for <= (now or utcnow())
    ):
        mark_sent(invitation, detail="link returned by the API", now=now)
    queue_send(session, invitation, now=now)  # an email or SMS due now leaves within seconds, not at the sweep
    session.flush()
    return invitation


def list_invitations(
    session: Session,
    *,
    survey_id: int | None = None,
    customer_id: int | None = None,
    channel: str | None = None,
    status: str | None = None,
    reason: str | None = None,
    delivery_status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str = "-id",
    limit: int = 50,
    offset: int = 0,
) -> Page[Invitation]:
    """Invitations filtered by survey, customer, channel, status, suppression reason, reported delivery status and
    created time."""
    query = select(Invitation)
    filters = {
        Invitation.survey_id: survey_id,
        Invitation.customer_id: customer_id,
        Invitation.channel: channel,
        Invitation.status: status,
        Invitation.reason: reason,
        Invitation.delivery_status: delivery_status,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(Invitation.created_at >= since)
    if until is not None:
        query = query.where(Invitation.created_at < until)
    return paginate(session, query.order_by(*order_clause(sort, _SORTABLE, "-id")), limit=limit, offset=offset)


def invite_many(session: Session, requests: Sequence[InviteRequest], *, now: datetime | None = None) -> list[int]:
    """`invite` for many requests (a trigger sweep): the reads are done per 1,000 requests instead of per request,
    and the rows go in with INSERT ... ON CONFLICT (occurrence_key) DO NOTHING, so a second worker's identical batch
    adds nothing. The ids of the invitations stored; requests for deleted customers or surveys are skipped."""
    now = now or utcnow()
    stored: list[int] = []
    for start in range(0, len(requests), _CHUNK):
        stored += _decide_and_store(session, requests[start : start + _CHUNK], now)
    return stored


def _decide_and_store(session: Session, requests: Sequence[InviteRequest], now: datetime) -> list[int]:
    customer_ids = sorted({r.customer_id for r in requests})
    survey_ids = sorted({r.survey_id for r in requests})
    # Locked: two workers cannot both pass the cap.
    by_customer = customers.lock_customers(session, customer_ids=customer_ids)
    by_survey = surveys.get_surveys(session, survey_ids=survey_ids)
    default, scoped = scoped_policies.policies_for(session, customer_ids, now=now)
    states = consent.states_of(session, customer_ids)
    longest = max((p.window_days for p in (default, *scoped.values())), default=default.window_days)
    recent = _recent_contacts(session, customer_ids, min((r.at or now) for r in requests) - timedelta(days=longest))
    last = _last_invited(session, customer_ids, survey_ids)
    answered = collection.last_answers(session, customer_ids=customer_ids, survey_ids=survey_ids)
    open_at: dict[tuple[int, datetime], bool] = {}
    rows: list[dict[str, Any]] = []
    for request in requests:
        customer, survey = by_customer.get(request.customer_id), by_survey.get(request.survey_id)
        if customer is None or survey is None:  # deleted since the request was made
            continue
        at = request.at or now
        rules = scoped.get(customer.id, default)
        if (survey.id, at) not in open_at:
            open_at[(survey.id, at)] = availability.accepts_responses(session, survey, now=at)
        if not open_at[(survey.id, at)]:
            decision = policy.Decision(False, request.channel, at, SuppressionReason.survey_closed, rules.key)
        else:
            decision = policy.decide(
                rules,
                recipient=policy.Recipient(
                    customer.id, customer.email, customer.phone, customer.timezone, states.get(customer.id, {})
                ),
                channel=request.channel,
                fallbacks=request.fallbacks,
                history=policy.History(
                    recent=recent[customer.id],
                    last_to_survey=last.get((customer.id, survey.id)),
                    last_answered=answered.get((customer.id, survey.id)),
                ),
                resurvey_days=survey.resurvey_days,
                responses=policy.ResponseRule(survey.response_limit, survey.response_period_days),
                occurrence=request.occurrence_key or f"{survey.id}:{at.isoformat()}",
                at=at,
            )
        if decision.send:  # later requests of this batch see this one, as they would after a flush
            recent[customer.id].append((decision.at, decision.channel))
            last[(customer.id, survey.id)] = max(decision.at, last.get((customer.id, survey.id), decision.at))
        rows.append(
            {
                "survey_id": survey.id,
                "customer_id": customer.id,
                "channel": decision.channel,
                "requested_channel": request.channel if decision.channel != request.channel else None,
                "touchpoint_id": request.touchpoint_id,
                "rule_id": request.rule_id,
                "occurrence_key": request.occurrence_key,
                "status": (InvitationStatus.scheduled if decision.send else InvitationStatus.suppressed).value,
                "reason": decision.reason.value if decision.reason else None,
                "policy": decision.policy,
                "locale": customer.locale,
                "scheduled_for": decision.at,
                "expires_at": decision.at + timedelta(days=survey.invitation_ttl_days),
                "created_at": now,
                "updated_at": now,
            }
        )
    if not rows:
        return []
    statement = dialect_insert(session, _TABLE).on_conflict_do_nothing(index_elements=["occurrence_key"])
    outcome = [_TABLE.c[name] for name in hooks.COLUMNS if name != "status"]
    stored = session.execute(statement.returning(_TABLE.c.id, _TABLE.c.status, *outcome), rows).all()
    hooks.outcomes_changed(session, removed=(), added=[hooks.outcome_from(row._mapping) for row in stored])
    if suppressed := [row.id for row in stored if row.status == InvitationStatus.suppressed.value]:
        outbox.emit(session, events.INVITATION_SUPPRESSED, {"invitation_ids": suppressed})
    return [row.id for row in stored]


def _recent_contacts(
    session: Session, customer_ids: list[int], since: datetime
) -> dict[int, list[tuple[datetime, str]]]:
    """When and on which channel each customer was contacted since `since`: invitations sent or due (prompts
    shown), and reminders. The contact policy weighs each by its channel."""
    contacted = [status.value for status in CONTACTED]
    recent: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    mine = Invitation.customer_id.in_(customer_ids)
    invited = select(Invitation.customer_id, Invitation.scheduled_for, Invitation.channel).where(
        mine, Invitation.status.in_(contacted), Invitation.scheduled_for > since
    )
    reminded = select(Invitation.customer_id, Invitation.reminded_at, Invitation.channel).where(
        mine, Invitation.reminded_at > since
    )
    for customer_id, at, channel in (*session.execute(invited), *session.execute(reminded)):
        recent[customer_id].append((at, channel))
    return recent


def _last_invited(session: Session, customer_ids: list[int], survey_ids: list[int]) -> dict[tuple[int, int], datetime]:
    """The latest invitation (not suppressed) of each customer to each survey."""
    contacted = [status.value for status in CONTACTED]
    query = (
        select(Invitation.customer_id, Invitation.survey_id, func.max(Invitation.scheduled_for))
        .where(
            Invitation.customer_id.in_(customer_ids),
            Invitation.survey_id.in_(survey_ids),
            Invitation.status.in_(contacted),
        )
        .group_by(Invitation.customer_id, Invitation.survey_id)
    )
    return {(customer_id, survey_id): at for customer_id, survey_id, at in session.execute(query)}


def queue_send(session: Session, invitation: Invitation, *, now: datetime | None = None) -> None:
    """Have the worker send a scheduled email or SMS invitation that is due now as soon as this transaction
    commits, instead of at the next minute's sweep (which stays the safety net, and sends the later ones)."""
    due = invitation.status == InvitationStatus.scheduled and invitation.scheduled_for <= (now or utcnow())
    if due and invitation.channel in channels.addressed():
        dispatch.after_commit(session, SEND_JOB, {"invitation_id": invitation.id})


def by_occurrence(session: Session, occurrence_key: str) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.occurrence_key == occurrence_key))


def get(session: Session, invitation_id: int) -> Invitation:
    found = session.get(Invitation, invitation_id)
    if found is None:
        raise InvitationNotFound(f"no invitation with id {invitation_id}")
    return found


def insert_history(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Store invitations as they were (the demo's simulated year): rows of column -> value, written as given in
    batches, with no decision, event or job; how many."""
    for start in range(0, len(rows), 5_000):
        session.execute(insert(Invitation), rows[start : start + 5_000])
    hooks.outcomes_changed(session, removed=(), added=[hooks.outcome_from(row) for row in rows])
    return len(rows)


def claim(session: Session, invitation_id: int, *, now: datetime) -> Invitation | None:
    """The invitation locked and free to send (no live lease of another worker), or None (jobs/leases.py)."""
    return leases.claim(session, Invitation, invitation_id, now=now)


def relock(session: Session, invitation_id: int) -> Invitation | None:
    """The invitation read afresh and locked for this transaction, or None when it is gone."""
    return session.get(Invitation, invitation_id, with_for_update=True, populate_existing=True)


def latest_open(
    session: Session, *, customer_ids: Sequence[int], channel: str, statuses: Sequence[str], now: datetime
) -> Invitation | None:
    """The newest unexpired invitation on `channel` of any of the customers in one of `statuses`, locked."""
    query = (
        select(Invitation)
        .where(
            Invitation.customer_id.in_(list(customer_ids)),
            Invitation.channel == channel,
            Invitation.status.in_(list(statuses)),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.id.desc())
        .limit(1)
        .with_for_update()
    )
    return session.scalar(query)


def expire_overdue(session: Session, *, now: datetime) -> int:
    """Scheduled invitations past their expiry are never sent: mark them expired; how many."""
    expired = session.execute(
        update(Invitation)
        .where(Invitation.status == InvitationStatus.scheduled.value, Invitation.expires_at <= now)
        .values(status=InvitationStatus.expired.value, updated_at=now)
        .returning(*(_TABLE.c[name] for name in hooks.COLUMNS)),
        execution_options={"synchronize_session": False},
    ).all()
    added = [hooks.outcome_from(row._mapping) for row in expired]
    removed = [outcome._replace(status=InvitationStatus.scheduled.value) for outcome in added]
    hooks.outcomes_changed(session, removed=removed, added=added)
    return len(expired)


def delete_invitations(session: Session, where: Any) -> int:
    """Delete the invitations matching `where` (a SQL condition), telling the outcome counts; how many."""
    deleted = session.execute(
        delete(Invitation).where(where).returning(*(_TABLE.c[name] for name in hooks.COLUMNS)),
        execution_options={"synchronize_session": False},
    ).all()
    hooks.outcomes_changed(session, removed=[hooks.outcome_from(row._mapping) for row in deleted], added=())
    return len(deleted)


def clear_touchpoints(session: Session, *, touchpoint_ids: Sequence[int]) -> None:
    """Touchpoint deletion listener: the invitations at those touchpoints lose it now, counted, rather than by the
    foreign key's SET NULL."""
    at = Invitation.touchpoint_id.in_(list(touchpoint_ids))
    columns = [_TABLE.c[name] for name in hooks.COLUMNS]
    # Locked as read, so no status changes between the count and the update.
    removed = [
        hooks.outcome_from(row._mapping) for row in session.execute(select(*columns).where(at).with_for_update())
    ]
    if not removed:
        return
    session.execute(
        update(Invitation).where(at).values(touchpoint_id=None), execution_options={"synchronize_session": False}
    )
    hooks.outcomes_changed(
        session, removed=removed, added=[outcome._replace(touchpoint_id=None) for outcome in removed]
    )


def forget_survey(session: Session, *, survey_id: int) -> None:
    """Survey deletion listener: its invitations go now, counted out, rather than by the foreign key's cascade."""
    delete_invitations(session, Invitation.survey_id == survey_id)


def forget_customers(session: Session, *, customer_ids: Sequence[int]) -> None:
    """Customer deletion listener: their invitations go now, counted out, rather than by the foreign key's cascade."""
    for start in range(0, len(customer_ids), _CHUNK):
        delete_invitations(session, Invitation.customer_id.in_(list(customer_ids[start : start + _CHUNK])))


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


def _emit(invitation: Invitation, name: str) -> None:
    """Write event `name` for the invitation in the transaction of its session (it must be in one)."""
    session = object_session(invitation)
    if session is None:
        raise RuntimeError(f"invitation {invitation.id} is not in a session: {name} cannot be recorded")
    outbox.emit(session, name, {"invitation_ids": [invitation.id]})


def _touch(invitation: Invitation, now: datetime | None) -> datetime:
    now = now or utcnow()
    invitation.updated_at = now
    return now


def mark_sent(invitation: Invitation, *, detail: str | None = None, now: datetime | None = None) -> None:
    with hooks.moving(invitation):
        invitation.sent_at = _touch(invitation, now)
        invitation.status = InvitationStatus.sent.value
        invitation.detail = detail
    _emit(invitation, events.INVITATION_SENT)


def mark_opened(invitation: Invitation, *, now: datetime | None = None) -> None:
    """First open only; an answered invitation stays answered."""
    with hooks.moving(invitation):
        at = _touch(invitation, now)
        if invitation.opened_at is None:
            invitation.opened_at = at
        if invitation.status in (InvitationStatus.scheduled, InvitationStatus.sent):
            invitation.status = InvitationStatus.opened.value


def mark_answered(invitation: Invitation, *, response_id: int, now: datetime | None = None) -> None:
    with hooks.moving(invitation):
        at, first_answer = _touch(invitation, now), invitation.answered_at is None
        invitation.opened_at = invitation.opened_at or at
        invitation.answered_at = invitation.answered_at or at
        invitation.response_id = response_id
        invitation.status = InvitationStatus.answered.value
    if first_answer:  # later answers extend the same response: the invitation was answered once
        _emit(invitation, events.INVITATION_ANSWERED)


def mark_suppressed(invitation: Invitation, *, reason: SuppressionReason, now: datetime | None = None) -> None:
    """Not sent after all (e.g. an opt-out arrived after it was scheduled); the reason counts in the report."""
    with hooks.moving(invitation):
        _touch(invitation, now)
        invitation.status = InvitationStatus.suppressed.value
        invitation.reason = reason.value
    _emit(invitation, events.INVITATION_SUPPRESSED)


def mark_reminded(invitation: Invitation, *, now: datetime | None = None) -> None:
    """Its one reminder went out; the status stays (sent or opened)."""
    invitation.reminded_at = _touch(invitation, now)


def drop_reminder(invitation: Invitation, *, reason: str, now: datetime | None = None) -> None:
    """Its reminder may never go out (an opt-out, no SMS consent, expired): the reminder sweep passes it from now
    on instead of picking it again every time. The invitation's own status stays."""
    _touch(invitation, now)
    invitation.reminder_dropped = reason[:32]


def mark_expired(invitation: Invitation, *, now: datetime | None = None) -> None:
    """It expired before it could be sent."""
    with hooks.moving(invitation):
        _touch(invitation, now)
        invitation.status = InvitationStatus.expired.value


def mark_failed(invitation: Invitation, *, detail: str, now: datetime | None = None) -> None:
    with hooks.moving(invitation):
        _touch(invitation, now)
        invitation.status = InvitationStatus.failed.value
        invitation.detail = detail[:500]
