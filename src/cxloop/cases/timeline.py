"""A customer's cases on their timeline (cxloop.timeline), limited to the cases the caller may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.cases.models import Case
from cxloop.cases.schemas import EVERY_CASE, Scope
from cxloop.storage.timeline import Position, TimelineEntry, read_entries


def _case(row: Case) -> tuple[str, dict[str, Any]]:
    return f"case opened ({row.priority}): {row.title} — now {row.status}", {"case_id": row.id}


def case_entries(
    session: Session, *, customer_id: int, before: Position | None, limit: int, scope: Scope = EVERY_CASE
) -> list[TimelineEntry]:
    """Their cases by when they were opened, with the status they are in now; only those of `scope`'s teams."""
    query = select(Case).where(Case.customer_id == customer_id)
    if scope.team_ids is not None:
        query = query.where(Case.team_id.in_(sorted(scope.team_ids)))
    return read_entries(
        session, query, kind="case", at=Case.created_at, id_=Case.id, before=before, limit=limit, describe=_case
    )
