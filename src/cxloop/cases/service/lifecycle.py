"""Changing a case: status transitions (the table in cases/rules.py), assignment, edits and notes, each logged.

A transition is one conditional UPDATE (`... WHERE status = <the status read>`): of two callers acknowledging the
same case at once, one changes it and the other gets 409, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.cases.enums import ActivityKind, CaseAction, CaseStatus
from cxloop.cases.errors import AssignmentRefused, TransitionRefused
from cxloop.cases.models import Case
from cxloop.cases.rules import allowed_actions, next_status
from cxloop.cases.schemas import EVERY_CASE, Actor, CaseAssign, CaseUpdate, Scope
from cxloop.cases.service import root_causes, routing, sla, verification
from cxloop.cases.service.records import emit, log_activity, require_case
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.jobs.events import CASE_CLOSED, CASE_RESOLVED, CASE_UPDATED

_EVENTS = {CaseStatus.resolved: CASE_RESOLVED, CaseStatus.closed: CASE_CLOSED}


def transition(
    session: Session,
    *,
    case_id: int,
    action: CaseAction,
    actor: Actor,
    scope: Scope = EVERY_CASE,
    resolution: str | None = None,
    root_cause: str | None = None,
    note: str | None = None,
) -> Case:
    """Apply `action`; 409 naming the status when it is not allowed (or another caller changed the case first),
    422 when resolving without a resolution."""
    case = require_case(session, case_id=case_id, scope=scope)
    current = CaseStatus(case.status)
    target = next_status(current, action)
    if target is None:
        allowed = ", ".join(a.value for a in allowed_actions(current)) or "nothing"
        raise TransitionRefused(
            f"cannot {action.value} a case that is {current.value}",
            errors=[FieldError("status", f"is {current.value}; allowed: {allowed}")],
        )
    if action == CaseAction.resolve and not (resolution or "").strip():
        raise InvalidInput("a resolution is required", errors=[FieldError("resolution", "say how it was resolved")])
    now = utcnow()
    values: dict[str, Any] = {"status": target.value, "updated_at": now}
    if target in (CaseStatus.acknowledged, CaseStatus.in_progress) and case.acknowledged_at is None:
        values |= {"acknowledged_at": now, "acknowledge_minutes": sla.stopped_minutes(session, case, now)}
    if target == CaseStatus.resolved:
        values |= {"resolved_at": now, "resolution": resolution}
    if target == CaseStatus.closed:
        values |= {"closed_at": now, "close_minutes": sla.stopped_minutes(session, case, now), "open_customer_id": None}
        if case.resolved_at is None:
            values["resolved_at"] = now
    if action == CaseAction.reopen:
        values |= {"resolved_at": None, "closed_at": None, "close_minutes": None, "open_customer_id": case.customer_id}
        values["reopened"] = case.reopened + 1
    if root_cause is not None:
        values["root_cause_id"] = root_causes.require_root_cause(session, key=root_cause).id
    changed = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == current.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(case)
        raise TransitionRefused(
            f"cannot {action.value} the case: it changed meanwhile",
            errors=[FieldError("status", f"is {session.get_one(Case, case.id).status} now")],
        )
    session.expire(case)
    if action == CaseAction.reopen:
        sla.clear_close_marks(session, case)
        sla.set_due_times(session, case, close_from=now)
        verification.cancel_unsent(session, case=case, now=now)
    detail = {"action": action.value, "from": current.value, "to": target.value}
    if resolution:
        detail["resolution"] = resolution
    if root_cause:
        detail["root_cause"] = root_cause
    log_activity(session, case, ActivityKind.status, actor, detail=detail, note=note)
    session.flush()
    emit(session, _EVENTS.get(target, CASE_UPDATED), [case.id])
    return case


def assign(session: Session, *, case_id: int, data: CaseAssign, actor: Actor, scope: Scope = EVERY_CASE) -> Case:
    """Give the case to a member (or the lead) of its team, or move it to another team; 422 when the owner is
    outside the team, 409 when the case is closed."""
    case = require_case(session, case_id=case_id, scope=scope, lock=True)
    if case.status == CaseStatus.closed:
        raise TransitionRefused("a closed case cannot be assigned", errors=[FieldError("status", "is closed")])
    team_id = data.team_id if data.team_id is not None else case.team_id
    if data.team_id is not None and access.get_team(session, team_id=data.team_id) is None:
        raise InvalidInput("unknown team", errors=[FieldError("team_id", f"no team {data.team_id}")])
    owner = data.owner_user_id
    if owner is not None:
        team = access.get_team(session, team_id=team_id) if team_id is not None else None
        if team is None or (
            owner not in access.team_member_ids(session, team_id=team.id) and owner != team.lead_user_id
        ):
            raise AssignmentRefused(
                "the owner is not in the case's team",
                errors=[FieldError("owner_user_id", f"user {owner} is not an active member of the case's team")],
            )
    elif data.team_id is not None and data.team_id != case.team_id:
        owner, _ = routing.pick_owner(session, team_id=data.team_id)
    detail = {"from_team_id": case.team_id, "to_team_id": team_id, "from_user_id": case.owner_user_id}
    moved = team_id != case.team_id
    case.team_id, case.owner_user_id, case.updated_at = team_id, owner, utcnow()
    detail["to_user_id"] = owner
    if moved:  # the targets and working hours may differ per team
        sla.recompute_due_times(session, case)
    log_activity(session, case, ActivityKind.assigned, actor, detail=detail)
    session.flush()
    emit(session, CASE_UPDATED, [case.id])
    return case


def update_case(session: Session, *, case_id: int, data: CaseUpdate, actor: Actor, scope: Scope = EVERY_CASE) -> Case:
    """Change the title, priority, tags or root cause; a new priority recomputes the due times."""
    case = require_case(session, case_id=case_id, scope=scope, lock=True)
    changes: dict[str, Any] = {}
    for name in ("title", "priority", "tags"):
        value = getattr(data, name)
        if value is not None:
            value = value.value if name == "priority" else sorted(set(value)) if name == "tags" else value
            if getattr(case, name) != value:
                changes[name] = {"from": getattr(case, name), "to": value}
                setattr(case, name, value)
    if data.root_cause is not None:
        cause = root_causes.require_root_cause(session, key=data.root_cause)
        if case.root_cause_id != cause.id:
            changes["root_cause"] = {"to": cause.key}
            case.root_cause_id = cause.id
    if not changes:
        return case
    if "priority" in changes:
        sla.recompute_due_times(session, case)
    case.updated_at = utcnow()
    log_activity(session, case, ActivityKind.updated, actor, detail=changes)
    session.flush()
    emit(session, CASE_UPDATED, [case.id])
    return case


def add_note(
    session: Session, *, case_id: int, text: str, actor: Actor, response: bool = False, scope: Scope = EVERY_CASE
) -> Case:
    """Add a note; `response` records a reply to the customer, the first of which stops the first-response clock."""
    case = require_case(session, case_id=case_id, scope=scope, lock=True)
    now = utcnow()
    if response and case.first_response_at is None:
        case.first_response_at = now
    case.updated_at = now
    log_activity(session, case, ActivityKind.response if response else ActivityKind.note, actor, note=text)
    session.flush()
    emit(session, CASE_UPDATED, [case.id])
    return case
