"""Verification re-surveys: `verify_after_days` after a case is resolved (its SLA policy's setting, default 7, 0 =
off) its customer is invited to answer the same metric as the feedback that opened it (docs/cases.md
"Verification").

- The invitation goes through the invitation machinery (contact policy, consent, channels: email, falling back to
  SMS), with the occurrence key `case-verification:<case id>`; a survey keyed `case-verify-<metric>` asks it when it
  exists, otherwise the survey of the response that opened the case (a rated feedback item needs
  `case-verify-csat`).
- Exactly once per case: the `case_verifications` row is unique per case and the occurrence key per invitation, so
  a job run twice, two workers or a restarted worker make one re-survey.
- A case reopened before its re-survey is sent gets none for that resolution: not made yet, the job passes it (it
  is not resolved when the job looks; the case row is locked while it decides); made but not sent, the reopening
  calls it off (`cancel_unsent`). Resolved again, it is re-surveyed after the new resolution.
- The answer (`invitation.answered`) puts the after score on the case, logs it and emits `verification.answered`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxloop.cases import queries
from cxloop.cases.enums import ActivityKind, CaseStatus, VerificationStatus
from cxloop.cases.models import Case, CaseVerification
from cxloop.cases.schemas import Actor
from cxloop.cases.service import sla
from cxloop.cases.service.records import log_activity
from cxloop.core.clock import utcnow
from cxloop.invitations import service as invitations
from cxloop.invitations.delivery_status import locked_invitation
from cxloop.invitations.enums import InvitationStatus
from cxloop.jobs import outbox
from cxloop.jobs.events import VERIFICATION_ANSWERED
from cxloop.surveys import service as surveys

VERIFY_ACTOR = Actor("verification")
CHANNEL, FALLBACKS = "email", ("sms",)
_DONE = (CaseStatus.resolved.value, CaseStatus.closed.value)
_MIN_DAYS = 1  # the shortest delay a policy may set (0 is off)
# Cases looked at per transaction: each re-survey is one contact-policy decision (30-45 ms on SQLite on a busy
# 2-core machine), so a batch holds SQLite's one write lock for under two seconds.
BATCH = 40


def occurrence_key(case: Case) -> str:
    """One invitation per case and resolution: a re-survey cancelled by a reopening may be made again after the
    next resolution (`reopened` counts the reopenings)."""
    return f"case-verification:{case.id}" + (f":{case.reopened}" if case.reopened else "")


def survey_key(metric: str) -> str:
    """The key of the survey that asks a `metric` re-survey instead of the survey that opened the case."""
    return f"case-verify-{metric}"


@dataclass
class VerifyResult:
    scheduled: int = 0
    suppressed: int = 0
    skipped: int = 0
    last_id: int | None = None  # the last case looked at: the next batch starts after it (None: none left)


def candidates(
    session: Session, *, now: datetime, policies: sla.Policies, after_id: int = 0, limit: int = BATCH
) -> tuple[list[int], int | None]:
    """The resolved or closed cases without a verification whose policy's days have passed, among the next `limit`
    cases by id after `after_id` resolved at least a day ago; and the id to continue after (None: none left)."""
    query = (
        select(Case.id, Case.team_id, Case.priority, Case.resolved_at)
        .where(
            Case.status.in_(_DONE),
            Case.resolved_at.is_not(None),
            Case.resolved_at <= now - timedelta(days=_MIN_DAYS),
            Case.id > after_id,
            ~select(CaseVerification.id).where(CaseVerification.case_id == Case.id).exists(),
        )
        .order_by(Case.id)
        .limit(limit)
    )
    rows = session.execute(query).all()
    due = []
    for row in rows:  # the cases still inside their policy's days are not locked, only passed over
        days = policies.for_case(row.team_id, row.priority).verify_after_days
        if not days or row.resolved_at + timedelta(days=days) <= now:
            due.append(row.id)
    return due, (rows[-1].id if len(rows) == limit else None)


def verify_due(session: Session, *, now: datetime, after_id: int = 0, limit: int = BATCH) -> VerifyResult:
    """Make the re-surveys that came due among the next `limit` candidates after `after_id` (one transaction)."""
    result = VerifyResult()
    policies = sla.Policies.load(session)
    ids, result.last_id = candidates(session, now=now, policies=policies, after_id=after_id, limit=limit)
    for case_id in ids:
        status = verify_case(session, case_id=case_id, now=now, policies=policies)
        if status == VerificationStatus.scheduled:
            result.scheduled += 1
        elif status == VerificationStatus.suppressed:
            result.suppressed += 1
        elif status == VerificationStatus.skipped:
            result.skipped += 1
    return result


def verify_case(
    session: Session, *, case_id: int, now: datetime, policies: sla.Policies | None = None
) -> VerificationStatus | None:
    """Re-survey one case if it is due; what was recorded, or None (not due, reopened, or done already)."""
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None or case.status not in _DONE or case.resolved_at is None:
        return None  # gone, or reopened since it was listed
    if session.scalar(select(CaseVerification.id).where(CaseVerification.case_id == case_id)) is not None:
        return None
    days = (policies or sla.Policies.load(session)).for_case(case.team_id, case.priority).verify_after_days
    if days and case.resolved_at + timedelta(days=days) > now:
        return None
    opening = queries.opening_scores(session, case_ids=[case.id]).get(case.id)
    row = CaseVerification(case_id=case.id, created_at=now)
    if opening is not None:
        row.metric, row.before_score, row.channel = opening.metric, opening.score, opening.channel
    reason = _skip_reason(days, opening)
    survey_id = None if reason else _survey_for(session, opening)
    if reason is None and survey_id is None:
        reason = f"no survey: create {survey_key(opening.metric)}" if opening else "no survey"
    invitation = None
    if reason is not None or survey_id is None:
        row.status, row.reason = VerificationStatus.skipped.value, reason
    else:
        invitation = invitations.invite(
            session,
            invitations.InviteRequest(
                survey_id=survey_id,
                customer_id=case.customer_id,
                channel=CHANNEL,
                fallbacks=FALLBACKS,
                occurrence_key=occurrence_key(case),
            ),
            now=now,
        )
        suppressed = invitation.status == InvitationStatus.suppressed.value
        row.survey_id, row.invitation_id = survey_id, invitation.id
        row.status = (VerificationStatus.suppressed if suppressed else VerificationStatus.scheduled).value
        row.reason = invitation.reason
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # another worker recorded it first
    detail = {"status": row.status, "metric": row.metric, "before_score": row.before_score}
    if invitation is not None:
        detail |= {"invitation_id": invitation.id, "channel": invitation.channel}
    if row.reason:
        detail["reason"] = row.reason
    log_activity(session, case, ActivityKind.verification_sent, VERIFY_ACTOR, detail=detail)
    if invitation is not None:
        invitations.queue_send(session, invitation, now=now)
    return VerificationStatus(row.status)


def cancel_unsent(session: Session, *, case: Case, now: datetime | None = None) -> bool:
    """A case is reopened: its re-survey, if made but not sent yet (and not being sent), is called off (the
    invitation expires) and the verification removed, so the next resolution is re-surveyed in its turn."""
    row = session.scalar(
        select(CaseVerification)
        .where(CaseVerification.case_id == case.id, CaseVerification.status == VerificationStatus.scheduled.value)
        .with_for_update()
    )
    if row is None or row.invitation_id is None:
        return False
    now = now or utcnow()
    invitation = locked_invitation(session, row.invitation_id)
    if invitation is not None:
        leased = invitation.lease_until is not None and invitation.lease_until > now
        if invitation.status != InvitationStatus.scheduled.value or leased:
            return False  # sent (or on its way): it stays
        invitations.mark_expired(invitation, now=now)
    detail = {"invitation_id": row.invitation_id, "reason": "the case was reopened before the re-survey was sent"}
    session.delete(row)
    log_activity(session, case, ActivityKind.verification_cancelled, VERIFY_ACTOR, detail=detail)
    session.flush()
    return True


def _skip_reason(days: int, opening: queries.OpeningScore | None) -> str | None:
    if not days:
        return "re-surveys are off in the case's SLA policy"
    if opening is None:
        return "no scored feedback opened the case"
    return None


def _survey_for(session: Session, opening: queries.OpeningScore | None) -> int | None:
    if opening is None:
        return None
    own = surveys.get_survey(session, key=survey_key(opening.metric))
    return own.id if own is not None else opening.survey_id


def record_answers(session: Session, *, invitation_ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """Put the answer of each re-survey among these invitations on its case (once: an answered verification is
    left alone), log it and emit `verification.answered`; the verification ids answered now."""
    if not invitation_ids:
        return []
    rows = session.scalars(
        select(CaseVerification)
        .where(
            CaseVerification.invitation_id.in_(invitation_ids),
            CaseVerification.status != VerificationStatus.answered.value,
        )
        .order_by(CaseVerification.id)
        .with_for_update()
    ).all()
    states = queries.invitation_states(session, invitation_ids=[r.invitation_id for r in rows if r.invitation_id])
    now = now or utcnow()
    answered: list[int] = []
    for row in rows:
        _, response_id = states.get(row.invitation_id or 0, (None, None))
        if response_id is None:
            continue
        row.response_id, row.answered_at = response_id, now
        row.after_score = queries.response_score(session, response_id=response_id, metric=row.metric or "")
        row.status = VerificationStatus.answered.value
        detail = {"metric": row.metric, "before_score": row.before_score, "after_score": row.after_score}
        log_activity(
            session, session.get_one(Case, row.case_id), ActivityKind.verification_answered, VERIFY_ACTOR, detail=detail
        )
        answered.append(row.id)
    session.flush()
    if answered:
        outbox.emit(session, VERIFICATION_ANSWERED, {"verification_ids": answered})
    return answered
