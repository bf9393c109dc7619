"""Changing many cases at once (the inbox's bulk actions): each change is the single action of lifecycle.py, in a
savepoint of its own, so a case the rules refuse is reported and left as it was while the others are changed.
`BulkChange` names what is done to each case, in one place for the request and the worker's runs (bulk_runs.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cxloop.cases.enums import CaseAction, CasePriority
from cxloop.cases.errors import AssignmentRefused
from cxloop.cases.schemas import Actor, CaseAssign, CaseUpdate, Scope
from cxloop.cases.service.lifecycle import assign, transition, update_case
from cxloop.core.errors import Conflict, CxloopError, InvalidInput, NotFound

MAX_BULK = 100  # cases one bulk change may name
BULK_ACTIONS = ("acknowledge", "resolve", "close", "assign", "priority")


@dataclass(frozen=True)
class BulkOutcome:
    """One case of a bulk change: `refusal` is None when it was changed, else what the service refused."""

    case_id: int
    refusal: CxloopError | None = None


@dataclass(frozen=True)
class BulkChange:
    """What a bulk action does to each case: `action` is one of BULK_ACTIONS; `assign` gives the cases to
    `owner_user_id`, `priority` sets `set_priority`, `resolve` records `resolution`."""

    action: str
    owner_user_id: int | None = None
    set_priority: CasePriority | None = None
    resolution: str | None = None

    def __post_init__(self) -> None:
        if self.action not in BULK_ACTIONS:
            raise ValueError(f"{self.action!r} is not one of {BULK_ACTIONS}")
        if (self.action == "assign") != (self.owner_user_id is not None):
            raise ValueError("an owner goes with assign, and only with it")
        if (self.action == "priority") != (self.set_priority is not None):
            raise ValueError("a priority goes with priority, and only with it")


def change_of(session: Session, change: BulkChange, *, actor: Actor, scope: Scope) -> Callable[[int], object]:
    """The single-case service call `change` makes, for `change_each`."""
    if change.action == "assign":
        assignment = CaseAssign(owner_user_id=change.owner_user_id)
        return lambda i: assign(session, case_id=i, data=assignment, actor=actor, scope=scope)
    if change.action == "priority":
        update = CaseUpdate(priority=change.set_priority)
        return lambda i: update_case(session, case_id=i, data=update, actor=actor, scope=scope)
    move = CaseAction(change.action)
    return lambda i: transition(session, case_id=i, action=move, actor=actor, scope=scope, resolution=change.resolution)


def refusal_words(exc: CxloopError, owner: str) -> str:
    """A refusal in words: 'cannot acknowledge a case that is resolved (status is resolved; allowed: ...)'."""
    if isinstance(exc, AssignmentRefused):
        return f"{owner} is not a member of the case's team"
    if isinstance(exc, NotFound):
        return "it is not among your teams' cases"
    first = exc.errors[0] if exc.errors else None
    return f"{exc.message} ({first.field} {first.message})" if first else exc.message


def change_each(session: Session, *, case_ids: Sequence[int], change: Callable[[int], object]) -> list[BulkOutcome]:
    """Apply `change(case_id)` (a service call: transition, assign, update_case) to each case in its own savepoint;
    a refused change (404, 409, 422) rolls back that case's savepoint only (its activity and outbox rows too)."""
    if len(case_ids) > MAX_BULK:
        raise ValueError(f"at most {MAX_BULK} cases at once")
    outcomes = []
    for case_id in dict.fromkeys(case_ids):
        savepoint = session.begin_nested()
        try:
            change(case_id)
        except (Conflict, InvalidInput, NotFound) as exc:
            savepoint.rollback()
            outcomes.append(BulkOutcome(case_id, exc))
            continue
        savepoint.commit()
        outcomes.append(BulkOutcome(case_id))
    return outcomes
