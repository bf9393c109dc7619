"""The SLA report per team or owner, counted in SQL from the working minutes each clock stored on the case when it
stopped (the same minutes `cxloop export cases` writes, so the report equals a recount of the export); and one team's
SLA week for the weekly digest.

Three queries whatever the number of cases: the counts per group, and per clock the values at the median and p90
ranks (window functions, on SQLite and PostgreSQL alike). A clock still running counts in n once it has run longer
than the target; whether it has is a comparison of its creation with one instant per team and target, found by
bisection on the team's calendar (working minutes to `as_of` only shrink as the creation moves later), so no
case's minutes are computed in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from cxloop.access import service as access
from cxloop.cases.enums import CaseStatus, SlaClock, SlaMarkKind
from cxloop.cases.models import Case, CaseSlaMark
from cxloop.cases.schemas import Duration, Share, SlaReport, SlaReportRow
from cxloop.cases.service.sla import CLOCKS, Calendars, working_minutes
from cxloop.cases.sla_figures import TARGETS, ShareFigure, Target, hours, share_figure
from cxloop.core.business_hours import Calendar

ReportBy = Literal["team", "owner"]
NO_GROUP = "(none)"

_MINUTES: dict[str, InstrumentedAttribute[float | None]] = {
    "acknowledge": Case.acknowledge_minutes,
    "close": Case.close_minutes,
}


def sla_report(
    session: Session, *, by: ReportBy, as_of: datetime, since: datetime | None = None, until: datetime | None = None
) -> SlaReport:
    """Per team (or owner) of the cases created in [since, until): shares within 2 h / 6 h / 48 h with n and 95 %
    interval next to their targets, and the median and p90 working hours to acknowledge and to close."""
    if by == "team":
        names = {t.id: t.key for t in access.list_teams(session)}
    else:
        names = {u.id: u.email for u in access.list_users(session)}
    group = Case.team_id if by == "team" else Case.owner_user_id
    window = _window(since, until)
    columns: list[Any] = [group, func.count()]
    for target in TARGETS:
        minutes = _MINUTES[target.clock]
        waited = _running_longer_than(session, target, as_of, window)
        columns += [_count(minutes <= target.minutes), _count(minutes.is_not(None)), _count(waited)]
    counts = {row[0]: row[1:] for row in session.execute(select(*columns).where(window).group_by(group))}
    ranks = {clock: _ranked(session, group, _MINUTES[clock], window) for clock in _MINUTES}
    rows = []
    for group_id, (cases, *figures) in counts.items():
        shares = {
            t.name: share_figure(figures[3 * i], figures[3 * i + 1] + figures[3 * i + 2], t)
            for i, t in enumerate(TARGETS)
        }
        rows.append(_row(names.get(group_id) or NO_GROUP, group_id, cases, shares, ranks))
    rows.sort(key=lambda r: (r.group, r.group_id is None, r.group_id or 0))
    return SlaReport(by=by, since=since, until=until, as_of=as_of, rows=rows)


def _window(since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
    conditions = [Case.created_at >= since] if since is not None else []
    if until is not None:
        conditions.append(Case.created_at < until)
    return and_(true(), *conditions)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.count().filter(condition)


def _running_longer_than(
    session: Session, target: Target, as_of: datetime, window: ColumnElement[bool]
) -> ColumnElement[bool]:
    """Running clocks (no stored minutes) whose working minutes to `as_of`, as the export rounds them, exceed the
    target: per team, the cases created before the first instant from which they no longer would."""
    running = _MINUTES[target.clock].is_(None)
    earliest = session.execute(
        select(Case.team_id, func.min(Case.created_at)).where(running, window).group_by(Case.team_id)
    ).all()
    calendars = Calendars(session)
    per_team = []
    for team_id, first in earliest:
        cut = _first_within(calendars.of(team_id), first, as_of, target.minutes)
        if cut is not None:
            team = Case.team_id.is_(None) if team_id is None else Case.team_id == team_id
            per_team.append(and_(team, Case.created_at < cut))
    return and_(running, or_(false(), *per_team))


def _first_within(calendar: Calendar, first: datetime, as_of: datetime, minutes: int) -> datetime | None:
    """The earliest creation instant at or after `first` whose working minutes to `as_of` are at most `minutes`
    (None when even `first`'s are): every case created before it has waited longer."""

    def over(created: datetime) -> bool:
        return working_minutes(calendar, created, as_of) > minutes

    if not over(first):
        return None
    low, high = first, max(as_of, first + timedelta(microseconds=1))  # over(low), not over(high)
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) // 2
        low, high = (middle, high) if over(middle) else (low, middle)
    return high


def _ranked(
    session: Session, group: Any, minutes: InstrumentedAttribute[float | None], window: ColumnElement[bool]
) -> dict[int | None, tuple[int, float | None, float | None]]:
    """Per group: how many clocks stopped, and the median (the middle value, or the mean of the two middle ones)
    and p90 (nearest rank: the ceil(0.9 n)-th) of their minutes, reading only the rows at those ranks."""
    ranked = (
        select(
            group.label("g"),
            minutes.label("m"),
            func.row_number().over(partition_by=group, order_by=minutes).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(minutes.is_not(None), window)
        .subquery()
    )
    rn, n = ranked.c.rn, ranked.c.n
    picked = select(ranked.c.g, ranked.c.n, ranked.c.rn, ranked.c.m).where(
        or_(rn == (n + 1) // 2, rn == n // 2 + 1, rn == (9 * n + 9) // 10)
    )
    found: dict[int | None, dict[int, float]] = {}
    sizes: dict[int | None, int] = {}
    for group_id, size, rank, value in session.execute(picked):
        found.setdefault(group_id, {})[rank] = value
        sizes[group_id] = size
    figures: dict[int | None, tuple[int, float | None, float | None]] = {}
    for group_id, at in found.items():
        size = sizes[group_id]
        middle = at[(size + 1) // 2] if size % 2 else (at[size // 2] + at[size // 2 + 1]) / 2
        figures[group_id] = (size, middle, at[(9 * size + 9) // 10])
    return figures


def _row(
    name: str,
    group_id: int | None,
    cases: int,
    shares: dict[str, ShareFigure],
    ranks: dict[str, dict[int | None, tuple[int, float | None, float | None]]],
) -> SlaReportRow:
    def duration(clock: str) -> Duration:
        n, middle, p90 = ranks[clock].get(group_id, (0, None, None))
        return Duration(n=n, median_hours=hours(middle), p90_hours=hours(p90))

    return SlaReportRow(
        group=name,
        group_id=group_id,
        cases=cases,
        acknowledged_within_2h=Share(**vars(shares["acknowledged_within_2h"])),
        acknowledged_within_6h=Share(**vars(shares["acknowledged_within_6h"])),
        closed_within_48h=Share(**vars(shares["closed_within_48h"])),
        time_to_acknowledge=duration("acknowledge"),
        time_to_close=duration("close"),
    )


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
