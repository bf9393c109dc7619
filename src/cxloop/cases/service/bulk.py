"""Changing many cases at once (the inbox's bulk actions): each change is the single action of lifecycle.py, in a
savepoint of its own, so a case the rules refuse is reported and left as it was while the others are changed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cxloop.core.errors import Conflict, CxloopError, InvalidInput, NotFound

MAX_BULK = 100  # cases one bulk change may name


@dataclass(frozen=True)
class BulkOutcome:
    """One case of a bulk change: `refusal` is None when it was changed, else what the service refused."""

    case_id: int
    refusal: CxloopError | None = None


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
