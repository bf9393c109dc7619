"""The case inbox's reading of a case: which SLA clock runs now and how much of it is left (the chip's colour), and
the inbox as a Table (sortable, exported as CSV, a checkbox per case for the bulk bar)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.cases.enums import CaseStatus
from cxloop.cases.schemas import CaseRead
from cxloop.web.rendering import time_ago
from cxloop.web.tables import Cell, Column, Row, RowSelect, Table, text
from cxloop.web.zones import local_time

DONE = frozenset({CaseStatus.resolved, CaseStatus.closed})
# Statuses the inbox shows unless asked otherwise: what still needs someone.
OPEN = (CaseStatus.new, CaseStatus.acknowledged, CaseStatus.in_progress)


@dataclass(frozen=True)
class SlaChip:
    """The running SLA clock: `level` ok (more than half the time left), soon (under half), breached, or done."""

    label: str
    level: str
    due_at: datetime | None

    @property
    def words(self) -> str:
        return {"ok": "on time", "soon": "under half the time left", "breached": "breached", "done": "done"}[self.level]


def left_words(seconds: float) -> str:
    """'2 h 5 min left', '1 d 3 h over'."""
    minutes = int(abs(seconds) // 60)
    text = (
        f"{minutes // 1440} d {minutes % 1440 // 60} h" if minutes >= 1440 else f"{minutes // 60} h {minutes % 60} min"
    )
    return f"{text} left" if seconds >= 0 else f"{text} over"


def sla_chip(case: CaseRead, now: datetime) -> SlaChip:
    """The clock that runs now: acknowledge until acknowledged, then first response, then close."""
    if case.status in DONE:
        return SlaChip("done", "done", None)
    if case.acknowledged_at is None:
        clock, due = "acknowledge", case.acknowledge_due_at
    elif case.first_response_at is None:
        clock, due = "first response", case.first_response_due_at
    else:
        clock, due = "close", case.close_due_at
    total = (due - case.created_at).total_seconds()
    left = (due - now).total_seconds()
    level = "breached" if left < 0 else "ok" if total <= 0 or left > total / 2 else "soon"
    return SlaChip(f"{clock}: {left_words(left)}", level, due)


def assignable_ids(session: Session, *, team_id: int | None) -> list[int]:
    """Who a case of this team may be given to: its active members and its lead (as `cases.assign` checks)."""
    team = access.get_team(session, team_id=team_id) if team_id is not None else None
    if team is None:
        return []
    member_ids = access.team_member_ids(session, team_id=team.id)
    if team.lead_user_id is not None and team.lead_user_id not in member_ids:
        member_ids.append(team.lead_user_id)
    return member_ids


COLUMNS = (
    Column("Case", csv=("Case", "Title")),
    Column("Priority"),
    Column("Customer"),
    Column("Status", csv=("Status", "Owner")),
    Column("SLA", numeric=True, csv=("SLA due", "SLA")),  # sorted by when it is due
    Column("Opened", numeric=True),
)


def inbox_table(
    reads: list[CaseRead], *, customers: dict[int, str], people: dict[int, str], now: datetime, zone: str
) -> Table:
    """The cases of the page, one row each, with a checkbox for the bulk bar (form `bulk`) and their actions; exact
    times in the reader's `zone`."""
    rows = []
    for case in reads:
        sla = sla_chip(case, now)
        owner = people.get(case.owner_user_id, f"user {case.owner_user_id}") if case.owner_user_id else ""
        due = f"due {local_time(sla.due_at, zone)}: {sla.words}" if sla.due_at else ""
        opened = case.created_at
        cells = (
            Cell(f"#{case.id} {case.title}", (case.id, case.title), href=f"/cases/{case.id}"),
            Cell(case.priority.value, (case.priority.value,), chip=f"prio-{case.priority.value}"),
            text(customers.get(case.customer_id) or str(case.customer_id), href=f"/customers/{case.customer_id}"),
            Cell(case.status.value.replace("_", " "), (case.status.value, owner or None), sub=owner),
            Cell(
                ("⚠ " if sla.level == "breached" else "") + sla.label,
                (sla.due_at, sla.label),
                chip=f"sla-{sla.level}",
                title=due,
            ),
            Cell(time_ago(opened, now), (opened,), time=opened, title=local_time(opened, zone)),
        )
        rows.append(Row(cells, key=str(case.id)))
    return Table(
        "inbox",
        "Cases",
        COLUMNS,
        tuple(rows),
        select=RowSelect("case_id", "bulk", "case"),
        controls=("Actions",),
    )
