"""Case rows for `cxloop export cases` and the SLA report: every timestamp, owner, team, priority, root cause, the
triggering feedback ids, and the working minutes to acknowledgement and to closing (docs/cases.md "Export")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.cases.enums import TriggerSource
from cxloop.cases.models import Case, CaseTrigger, RootCause
from cxloop.cases.service.sla import Calendars, working_minutes
from cxloop.core.business_hours import Calendar
from cxloop.core.csv_cells import csv_cell, iso_instant

CASE_EXPORT_COLUMNS = [
    "id",
    "customer_id",
    "status",
    "priority",
    "team",
    "owner",
    "root_cause",
    "title",
    "tags",
    "created_at",
    "acknowledged_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "acknowledge_due_at",
    "first_response_due_at",
    "close_due_at",
    "acknowledge_minutes",
    "close_minutes",
    "response_ids",
    "feedback_ids",
]


@dataclass(frozen=True)
class CaseRow:
    """One exported case. `acknowledge_minutes` / `close_minutes`: working minutes from creation to that moment, as
    stored on the case when the clock stopped, or to `as_of` while it has not (what the SLA report counts)."""

    id: int
    customer_id: int
    status: str
    priority: str
    team: str | None
    team_id: int | None
    owner: str | None
    owner_user_id: int | None
    root_cause: str | None
    title: str
    tags: list[str]
    created_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    acknowledge_due_at: datetime
    first_response_due_at: datetime
    close_due_at: datetime
    acknowledge_minutes: float
    close_minutes: float
    response_ids: list[int]
    feedback_ids: list[int]


def _window(query: Any, since: datetime | None, until: datetime | None) -> Any:
    if since is not None:
        query = query.where(Case.created_at >= since)
    if until is not None:
        query = query.where(Case.created_at < until)
    return query


def count_cases(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> int:
    return session.scalar(_window(select(func.count()).select_from(Case), since, until)) or 0


def iter_case_rows(
    session: Session,
    *,
    as_of: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    batch_size: int = 1000,
) -> Iterator[list[CaseRow]]:
    """Cases created in [since, until), in id order, in batches (keyset pagination: memory stays flat)."""
    teams = {t.id: t.key for t in access.list_teams(session)}
    users = {u.id: u.email for u in access.list_users(session)}
    causes = dict(session.execute(select(RootCause.id, RootCause.key)).all())
    calendars = Calendars(session)
    last = 0
    while True:
        query = _window(select(Case).where(Case.id > last), since, until).order_by(Case.id).limit(batch_size)
        batch = session.scalars(query).all()
        if not batch:
            return
        triggers = _triggers(session, [c.id for c in batch])
        rows = []
        for case in batch:
            calendar = calendars.of(case.team_id)
            response_ids, feedback_ids = triggers.get(case.id, ([], []))
            rows.append(
                CaseRow(
                    id=case.id,
                    customer_id=case.customer_id,
                    status=case.status,
                    priority=case.priority,
                    team=teams.get(case.team_id) if case.team_id is not None else None,
                    team_id=case.team_id,
                    owner=users.get(case.owner_user_id) if case.owner_user_id is not None else None,
                    owner_user_id=case.owner_user_id,
                    root_cause=causes.get(case.root_cause_id) if case.root_cause_id is not None else None,
                    title=case.title,
                    tags=list(case.tags or []),
                    created_at=case.created_at,
                    acknowledged_at=case.acknowledged_at,
                    first_response_at=case.first_response_at,
                    resolved_at=case.resolved_at,
                    closed_at=case.closed_at,
                    acknowledge_due_at=case.acknowledge_due_at,
                    first_response_due_at=case.first_response_due_at,
                    close_due_at=case.close_due_at,
                    acknowledge_minutes=_clock(case.acknowledge_minutes, calendar, case.created_at, as_of),
                    close_minutes=_clock(case.close_minutes, calendar, case.created_at, as_of),
                    response_ids=response_ids,
                    feedback_ids=feedback_ids,
                )
            )
        yield rows
        last = batch[-1].id


def _clock(stored: float | None, calendar: Calendar, created: datetime, as_of: datetime) -> float:
    """A clock's working minutes: as stored when it stopped, or to `as_of` while it runs."""
    return stored if stored is not None else working_minutes(calendar, created, as_of)


def _triggers(session: Session, case_ids: Sequence[int]) -> dict[int, tuple[list[int], list[int]]]:
    found: dict[int, tuple[list[int], list[int]]] = {}
    query = (
        select(CaseTrigger.case_id, CaseTrigger.source, CaseTrigger.source_id)
        .where(CaseTrigger.case_id.in_(case_ids))
        .order_by(CaseTrigger.source_id)
    )
    for case_id, source, source_id in session.execute(query):
        responses, feedback = found.setdefault(case_id, ([], []))
        (responses if source == TriggerSource.response else feedback).append(source_id)
    return found


def case_json(row: CaseRow) -> dict[str, Any]:
    values = asdict(row)
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = iso_instant(value)
    return {name: values[name] for name in CASE_EXPORT_COLUMNS}


def case_cells(row: CaseRow, _: Sequence[str] = ()) -> list[str]:
    """The row's cells (lists such as the feedback ids joined by `|`, as in the other exports)."""
    values = asdict(row)
    return [csv_cell(values[name]) for name in CASE_EXPORT_COLUMNS]
