"""The SLA report per team or owner, computed from the same working minutes `cxloop export cases` writes
(sla_figures.py), reading only the six columns it needs (`iter_clock_rows`); and one team's SLA week for the weekly
digest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.cases.enums import CaseStatus, SlaClock, SlaMarkKind
from cxloop.cases.models import Case, CaseSlaMark
from cxloop.cases.schemas import Duration, Share, SlaReport, SlaReportRow
from cxloop.cases.service.exporting import ClockRow, iter_clock_rows
from cxloop.cases.service.sla import CLOCKS
from cxloop.cases.sla_figures import TARGETS, ClockTime, hours, median, nearest_rank, share

ReportBy = Literal["team", "owner"]
NO_GROUP = "(none)"


def sla_report(
    session: Session, *, by: ReportBy, as_of: datetime, since: datetime | None = None, until: datetime | None = None
) -> SlaReport:
    """Per team (or owner) of the cases created in [since, until): shares within 2 h / 6 h / 48 h with n and 95 %
    interval next to their targets, and the median and p90 working hours to acknowledge and to close."""
    if by == "team":
        names = {t.id: t.key for t in access.list_teams(session)}
    else:
        names = {u.id: u.email for u in access.list_users(session)}
    groups: dict[tuple[str, int | None], list[ClockRow]] = {}
    for batch in iter_clock_rows(session, as_of=as_of, since=since, until=until):
        for row in batch:
            group_id = row.team_id if by == "team" else row.owner_user_id
            name = names.get(group_id) if group_id is not None else None
            groups.setdefault((name or NO_GROUP, group_id), []).append(row)
    rows = [_row(name, group_id, cases) for (name, group_id), cases in sorted(groups.items(), key=lambda g: g[0][0])]
    return SlaReport(by=by, since=since, until=until, as_of=as_of, rows=rows)


def _row(name: str, group_id: int | None, cases: list[ClockRow]) -> SlaReportRow:
    clocks = {
        "acknowledge": [ClockTime(c.acknowledge_minutes, c.acknowledged) for c in cases],
        "close": [ClockTime(c.close_minutes, c.closed) for c in cases],
    }
    shares = {t.name: Share(**vars(share(clocks[t.clock], t))) for t in TARGETS}
    return SlaReportRow(
        group=name,
        group_id=group_id,
        cases=len(cases),
        acknowledged_within_2h=shares["acknowledged_within_2h"],
        acknowledged_within_6h=shares["acknowledged_within_6h"],
        closed_within_48h=shares["closed_within_48h"],
        time_to_acknowledge=_duration(t.minutes for t in clocks["acknowledge"] if t.reached),
        time_to_close=_duration(t.minutes for t in clocks["close"] if t.reached),
    )


def _duration(minutes: Iterable[float]) -> Duration:
    values = list(minutes)
    return Duration(n=len(values), median_hours=hours(median(values)), p90_hours=hours(nearest_rank(values, 0.9)))


@dataclass(frozen=True)
class TeamWeek:
    """One team's SLA week for the weekly digest: cases open now, breaches recorded in the window, and of the SLA
    clocks that came due in it (by `as_of`), how many were met (stopped by their due time)."""

    open_cases: int
    breaches: int
    clocks_due: int
    clocks_met: int


_STOPPED_AT = {
    SlaClock.acknowledge: Case.acknowledged_at,
    SlaClock.first_response: Case.first_response_at,
    SlaClock.close: Case.closed_at,
}


def team_week(session: Session, *, team_id: int, since: datetime, until: datetime, as_of: datetime) -> TeamWeek:
    """The SLA figures of one team's cases for [since, until)."""
    open_statuses = [s.value for s in (CaseStatus.new, CaseStatus.acknowledged, CaseStatus.in_progress)]
    open_cases = session.scalar(
        select(func.count()).select_from(Case).where(Case.team_id == team_id, Case.status.in_(open_statuses))
    )
    breaches = session.scalar(
        select(func.count())
        .select_from(CaseSlaMark)
        .join(Case, Case.id == CaseSlaMark.case_id)
        .where(
            Case.team_id == team_id,
            CaseSlaMark.kind == SlaMarkKind.breach.value,
            CaseSlaMark.at >= since,
            CaseSlaMark.at < until,
        )
    )
    due = met = 0
    for clock, spec in CLOCKS.items():
        stopped = _STOPPED_AT[clock]
        window = (Case.team_id == team_id) & (spec.due >= since) & (spec.due < min(until, as_of))
        due += session.scalar(select(func.count()).select_from(Case).where(window)) or 0
        met += session.scalar(select(func.count()).select_from(Case).where(window, stopped <= spec.due)) or 0
    return TeamWeek(open_cases=open_cases or 0, breaches=breaches or 0, clocks_due=due, clocks_met=met)
