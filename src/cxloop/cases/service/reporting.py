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
from cxloop.cases.sla_figures import TARGETS, Target, hours, share_figure
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
    calendars = Calendars(session)
    clocks = {clock: _clock(session, calendars, group, clock, as_of, window) for clock in _MINUTES}
    shares = {t.name: {g: f.share(t) for g, f in clocks[t.clock].items()} for t in TARGETS}
    rows = [
        SlaReportRow(
            group=names.get(group_id) or NO_GROUP if group_id is not None else NO_GROUP,
            group_id=group_id,
            cases=figures.cases,
            acknowledged_within_2h=shares["acknowledged_within_2h"][group_id],
            acknowledged_within_6h=shares["acknowledged_within_6h"][group_id],
            closed_within_48h=shares["closed_within_48h"][group_id],
            time_to_acknowledge=figures.duration,
            time_to_close=clocks["close"][group_id].duration,
        )
        for group_id, figures in clocks["acknowledge"].items()
    ]
    rows.sort(key=lambda r: (r.group, r.group_id is None, r.group_id or 0))
    return SlaReport(by=by, since=since, until=until, as_of=as_of, rows=rows)


@dataclass
class _ClockFigures:
    """One group's cases and one clock's figures: stopped within each target, still running past it, the duration."""

    cases: int
    stopped: int
    within: dict[str, int]
    waited: dict[str, int]
    duration: Duration

    def share(self, target: Target) -> Share:
        n = self.stopped + self.waited.get(target.name, 0)
        return Share(**vars(share_figure(self.within[target.name], n, target)))


def _window(since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
    conditions = [Case.created_at >= since] if since is not None else []
    if until is not None:
        conditions.append(Case.created_at < until)
    return and_(true(), *conditions)


def _clock(
    session: Session, calendars: Calendars, group: Any, clock: str, as_of: datetime, window: ColumnElement[bool]
) -> dict[int | None, _ClockFigures]:
    """Per group, from the index on (group, minutes): the cases, the stopped clocks and those within each target;
    then the running clocks past each target, and the median and p90 of the stopped ones."""
    minutes = _MINUTES[clock]
    targets = [t for t in TARGETS if t.clock == clock]
    counts = select(
        group, func.count(), func.count(minutes), *(func.count().filter(minutes <= t.minutes) for t in targets)
    )
    found = {
        group_id: _ClockFigures(cases, stopped, {t.name: w for t, w in zip(targets, within, strict=True)}, {}, _NONE)
        for group_id, cases, stopped, *within in session.execute(counts.where(window).group_by(group))
    }
    running = and_(minutes.is_(None), window)
    earliest = select(Case.team_id, func.min(Case.created_at)).where(running).group_by(Case.team_id)
    first: dict[int | None, datetime] = {team_id: at for team_id, at in session.execute(earliest)}  # noqa: C416
    past = {t.name: _running_longer_than(calendars, first, t, as_of) for t in targets}
    if any(condition is not None for condition in past.values()):
        waiting = select(group, *(func.count().filter(c if c is not None else false()) for c in past.values()))
        for group_id, *waited in session.execute(waiting.where(running).group_by(group)):
            found[group_id].waited = dict(zip(past, waited, strict=True))
    for group_id, figures in found.items():
        figures.duration = _duration(session, group, group_id, minutes, window, figures.stopped)
    return found


_NONE = Duration(n=0, median_hours=None, p90_hours=None)


def _running_longer_than(
    calendars: Calendars, first: dict[int | None, datetime], target: Target, as_of: datetime
) -> ColumnElement[bool] | None:
    """Running clocks whose working minutes to `as_of`, as the export rounds them, exceed the target: per team (whose
    first running clock started at `first`), the cases created before the first instant from which they no longer
    would (None: no running clock has)."""
    per_team = []
    for team_id, at in first.items():
        cut = _first_within(calendars.of(team_id), at, as_of, target.minutes)
        if cut is not None:
            team = Case.team_id.is_(None) if team_id is None else Case.team_id == team_id
            per_team.append(and_(team, Case.created_at < cut))
    return or_(*per_team) if per_team else None


def _first_within(calendar: Calendar, first: datetime, as_of: datetime, minutes: int) -> datetime | None:
    """The earliest creation instant at or after `first` whose working minutes to `as_of` are at most `minutes`
    (None when even `first`'s are): every case created before it has waited longer."""

    def over(created: datetime) -> bool:
        return working_minutes(calendar, created, as_of) > minutes

    # Working minutes never exceed wall-clock minutes: look back from `as_of - minutes`, doubling the span, so the
    # calendar only builds the days near `as_of`, not every day back to the oldest running clock.
    step, high = timedelta(minutes=minutes), as_of  # not over(high)
    low = max(as_of - step, first)
    while not over(low):
        if low <= first:
            return None
        step, high = step * 2, low
        low = max(as_of - step, first)
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) // 2
        low, high = (middle, high) if over(middle) else (low, middle)
    return high


def _duration(
    session: Session,
    group: Any,
    group_id: int | None,
    minutes: InstrumentedAttribute[float | None],
    window: ColumnElement[bool],
    n: int,
) -> Duration:
    """The median (the middle value, or the mean of the two middle ones) and the p90 (nearest rank: the
    ceil(0.9 n)-th) of the group's `n` stopped clocks, reading the values at those ranks in index order."""
    if not n:
        return _NONE
    mine = group.is_(None) if group_id is None else group == group_id
    ordered = select(minutes).where(mine, minutes.is_not(None), window).order_by(minutes)

    def at(rank: int, count: int = 1) -> list[float]:
        return list(session.scalars(ordered.offset(rank - 1).limit(count)))

    middle = at((n + 1) // 2, 1 if n % 2 else 2)
    p90 = at((9 * n + 9) // 10)[0]
    return Duration(n=n, median_hours=hours(sum(middle) / len(middle)), p90_hours=hours(p90))


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
