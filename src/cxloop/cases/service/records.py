"""Reading cases (scoped to the caller's teams), their activity log, and turning rows into schemas."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.cases import queries
from cxloop.cases.enums import ActivityKind, CasePriority, CaseStatus
from cxloop.cases.errors import CaseNotFound
from cxloop.cases.models import Case, CaseActivity, CaseTrigger, CaseVerification, RootCause
from cxloop.cases.rules import allowed_actions
from cxloop.cases.schemas import (
    EVERY_CASE,
    ActivityRead,
    Actor,
    CaseDetail,
    CaseRead,
    Scope,
    TriggerRef,
    VerificationRead,
)
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.jobs import outbox


def scope_of(session: Session, *, role: Role, user_id: int | None) -> Scope:
    """Analysts and admins see every case; an agent the cases of the teams of the user their key belongs to (none
    for a key without a user)."""
    if role.includes(Role.analyst):
        return EVERY_CASE
    teams = access.user_team_ids(session, user_id=user_id) if user_id is not None else []
    return Scope(frozenset(teams))


def require_case(session: Session, *, case_id: int, scope: Scope = EVERY_CASE, lock: bool = False) -> Case:
    """The case, or CaseNotFound, also when it belongs to a team the caller is not in (so its existence is not
    told). `lock`: SELECT ... FOR UPDATE on PostgreSQL (SQLite has one writer)."""
    query = select(Case).where(Case.id == case_id)
    if lock:
        query = query.with_for_update()
    case = session.scalar(query)
    if case is None or not scope.allows(case.team_id):
        raise CaseNotFound(f"no case {case_id}")
    return case


def log_activity(
    session: Session,
    case: Case,
    kind: ActivityKind,
    actor: Actor,
    *,
    detail: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Add a line to the case's activity log (who, when, what)."""
    session.add(
        CaseActivity(
            case_id=case.id,
            at=utcnow(),
            actor_user_id=actor.user_id,
            actor=actor.name,
            kind=kind.value,
            detail=detail or {},
            note=note,
        )
    )


def emit(session: Session, name: str, case_ids: Sequence[int]) -> None:
    outbox.emit(session, name, {"case_ids": list(case_ids)})


def case_reads(session: Session, cases: Sequence[Case]) -> list[CaseRead]:
    ids = [c.id for c in cases]
    triggers: dict[int, list[TriggerRef]] = {i: [] for i in ids}
    if ids:
        rows = session.execute(
            select(CaseTrigger.case_id, CaseTrigger.source, CaseTrigger.source_id)
            .where(CaseTrigger.case_id.in_(ids))
            .order_by(CaseTrigger.id)
        )
        for case_id, source, source_id in rows:
            triggers[case_id].append(TriggerRef(source=source, id=source_id))
    cause_ids = {c.root_cause_id for c in cases if c.root_cause_id is not None}
    causes = (
        dict(session.execute(select(RootCause.id, RootCause.key).where(RootCause.id.in_(cause_ids))).all())
        if cause_ids
        else {}
    )
    return [
        CaseRead(
            id=c.id,
            customer_id=c.customer_id,
            team_id=c.team_id,
            owner_user_id=c.owner_user_id,
            status=CaseStatus(c.status),
            priority=CasePriority(c.priority),
            title=c.title,
            root_cause=causes.get(c.root_cause_id) if c.root_cause_id is not None else None,
            resolution=c.resolution,
            tags=list(c.tags or []),
            routing=c.routing or {},
            created_at=c.created_at,
            updated_at=c.updated_at,
            acknowledged_at=c.acknowledged_at,
            first_response_at=c.first_response_at,
            resolved_at=c.resolved_at,
            closed_at=c.closed_at,
            acknowledge_due_at=c.acknowledge_due_at,
            first_response_due_at=c.first_response_due_at,
            close_due_at=c.close_due_at,
            reopened=c.reopened,
            held_out=c.held_out,
            triggers=triggers[c.id],
            actions=allowed_actions(CaseStatus(c.status)),
        )
        for c in cases
    ]


def case_detail(session: Session, case: Case) -> CaseDetail:
    activity = session.scalars(select(CaseActivity).where(CaseActivity.case_id == case.id).order_by(CaseActivity.id))
    read = case_reads(session, [case])[0]
    return CaseDetail(
        **read.model_dump(),
        activity=[ActivityRead.model_validate(a) for a in activity],
        verification=verification_of(session, case_id=case.id),
    )


def verification_of(session: Session, *, case_id: int) -> VerificationRead | None:
    """The case's verification re-survey with its invitation's current status (None: not made yet)."""
    row = session.scalar(select(CaseVerification).where(CaseVerification.case_id == case_id))
    if row is None:
        return None
    read = VerificationRead.model_validate(row)
    if row.invitation_id is not None:
        state = queries.invitation_states(session, invitation_ids=[row.invitation_id]).get(row.invitation_id)
        read.invitation_status = state[0] if state else None
    return read


def _cursor_id(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode().removeprefix("case:"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("bad cursor", errors=[FieldError("cursor", "is not a cursor this API gave")]) from None
    return value


def _cursor(case_id: int) -> str:
    return base64.urlsafe_b64encode(f"case:{case_id}".encode()).decode().rstrip("=")


def _matching(
    query: Select[Any],
    *,
    scope: Scope,
    status: Sequence[CaseStatus],
    team_id: int | None = None,
    owner_user_id: int | None = None,
    priority: CasePriority | None = None,
    customer_id: int | None = None,
) -> Select[Any]:
    if scope.team_ids is not None:
        query = query.where(Case.team_id.in_(scope.team_ids))
    if status:
        query = query.where(Case.status.in_([s.value for s in status]))
    for column, value in (
        (Case.team_id, team_id),
        (Case.owner_user_id, owner_user_id),
        (Case.customer_id, customer_id),
        (Case.priority, priority.value if priority else None),
    ):
        if value is not None:
            query = query.where(column == value)
    return query


def matching_case_ids(
    session: Session,
    *,
    scope: Scope = EVERY_CASE,
    status: Sequence[CaseStatus] = (),
    priority: CasePriority | None = None,
    limit: int,
) -> list[int]:
    """The ids of the cases `list_cases` would page through with these filters, newest first, at most `limit`: what
    a bulk action on every case of a filter changes."""
    query = _matching(select(Case.id), scope=scope, status=status, priority=priority)
    return list(session.scalars(query.order_by(Case.id.desc()).limit(limit)).all())


def count_matching_cases(
    session: Session,
    *,
    scope: Scope = EVERY_CASE,
    status: Sequence[CaseStatus] = (),
    priority: CasePriority | None = None,
    up_to: int,
) -> int:
    """How many cases `matching_case_ids` would give, counted no further than `up_to` + 1 (the inbox only says
    "more than" beyond it)."""
    ids = _matching(select(Case.id), scope=scope, status=status, priority=priority).limit(up_to + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(ids)) or 0)


def list_cases(
    session: Session,
    *,
    scope: Scope = EVERY_CASE,
    status: Sequence[CaseStatus] = (),
    team_id: int | None = None,
    owner_user_id: int | None = None,
    priority: CasePriority | None = None,
    customer_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Case], str | None]:
    """One page of cases, newest first, and the cursor of the next page (None on the last)."""
    if not 1 <= limit <= 500:
        raise InvalidInput("bad limit", errors=[FieldError("limit", "must be between 1 and 500")])
    query = _matching(
        select(Case).order_by(Case.id.desc()).limit(limit + 1),
        scope=scope,
        status=status,
        team_id=team_id,
        owner_user_id=owner_user_id,
        priority=priority,
        customer_id=customer_id,
    )
    if cursor:
        query = query.where(Case.id < _cursor_id(cursor))
    rows = list(session.scalars(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_cursor(rows[-1].id) if more else None)


def case_teams(session: Session, *, case_ids: Collection[int]) -> dict[int, int | None]:
    """case id -> its team's id (None: no team), for the cases of `case_ids` that exist."""
    if not case_ids:
        return {}
    rows = session.execute(select(Case.id, Case.team_id).where(Case.id.in_(sorted(set(case_ids))))).all()
    return {row.id: row.team_id for row in rows}
