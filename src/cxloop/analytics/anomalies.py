"""The anomaly scan over the data as it stands: every metric overall, per segment and per touchpoint, response rates
overall and per channel, and any registered series source (theme volume and negativity), by week and by day where n
allows.

`scan` builds the series from a few grouped queries (rollups when UTC is rolled up), tests them (anomaly_rules.py,
false-discovery rate at q = 0.05), stores each discovery once per series and period, and emits `anomaly.detected`
with the new ids in the same transaction. The worker runs it daily (analytics/tasks.py); `cxloop analyze anomalies`
runs it now. docs/analytics.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cxloop.analytics import anomaly_rules, buckets, queries, service, significance
from cxloop.analytics.anomaly_rules import Finding, Series, Skip
from cxloop.analytics.enums import AnomalyKind, GroupKey, MetricKind
from cxloop.analytics.models import Anomaly
from cxloop.analytics.schemas import AnomalyRead, AnomalyScan, SkippedSeries
from cxloop.collection.local_days import day_date, day_number
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.jobs import outbox
from cxloop.jobs.events import ANOMALY_DETECTED

# name -> fn(session, first_day, last_day) giving more series to scan (e.g. theme counts and negative shares).
SeriesSource = Callable[[Session, int, int], Iterable[Series]]
_sources: dict[str, SeriesSource] = {}
MAX_WEEKS = 104
MAX_DAYS = 90


def register_series_source(name: str, source: SeriesSource) -> None:
    """Add series to every scan: `source(session, first_day, last_day)` yields Series with day numbers in range.
    Text analytics register theme volume (AnomalyKind.volume) and negativity (AnomalyKind.share) here."""
    if _sources.get(name) is source:
        return  # wiring runs once per process, tests wire again: the same source twice is one
    if name in _sources:
        raise ValueError(f"a series source named {name!r} is registered already")
    _sources[name] = source


@dataclass(frozen=True, slots=True)
class Window:
    """The periods a scan tests and the days it reads."""

    weeks: list[int]
    days: list[int]
    first_day: int
    last_day: int


def window(*, weeks: int, days: int, as_of: date | None = None) -> Window:
    """The last `weeks` complete ISO weeks and `days` complete UTC days before `as_of` (today), with the baseline."""
    today = day_number(as_of or utcnow().date())
    this_week = buckets.bucket_start(today, GroupKey.week)
    week_starts = [this_week - 7 * k for k in range(1, weeks + 1)]
    day_starts = [today - k for k in range(1, days + 1)]
    oldest = min(
        [s - 7 * anomaly_rules.BASELINE_PERIODS[GroupKey.week] for s in week_starts]
        + [s - anomaly_rules.BASELINE_PERIODS[GroupKey.day] for s in day_starts]
        + [today - 1]
    )
    return Window(week_starts, day_starts, oldest, today - 1)


def build_series(session: Session, first_day: int, last_day: int) -> list[Series]:
    """Every metric overall, per segment and per touchpoint, response rates overall and per channel, and the
    registered sources."""
    found: list[Series] = []
    for kind in MetricKind:
        overall = service.daily_histograms(session, metric=kind, dim=None, first_day=first_day, last_day=last_day)
        found.append(
            Series(f"{kind.value}/all", AnomalyKind.score, kind.value, "all customers", None, _by_day(overall))
        )
        for dim in ("segment", "touchpoint"):
            found.extend(_per_dimension(session, kind, dim, first_day, last_day))
    rates: dict[str | None, dict[int, tuple[int, int]]] = defaultdict(dict)
    for channel, day, sent, answered in queries.invitation_days(session, first_day=first_day, last_day=last_day):
        for group in (None, channel):
            before = rates[group].get(day, (0, 0))
            rates[group][day] = (before[0] + answered, before[1] + sent)
    for group, shares in rates.items():
        who = "all invitations" if group is None else f"{group} invitations"
        series_key = "response_rate/all" if group is None else f"response_rate/channel:{group}"
        found.append(Series(series_key, AnomalyKind.share, "response_rate", who, group, shares))
    for source in _sources.values():
        found.extend(source(session, first_day, last_day))
    return found


def _per_dimension(session: Session, kind: MetricKind, dim: str, first_day: int, last_day: int) -> list[Series]:
    """One score series per segment (keyed by its key) or per touchpoint (by its id: touchpoint keys repeat across
    journeys)."""
    hists = service.daily_histograms(session, metric=kind, dim=dim, first_day=first_day, last_day=last_day)
    grouped: dict[int, dict[int, Counter[int]]] = defaultdict(dict)
    for (day, value), hist in hists.items():
        if value is not None:
            grouped[int(value)][day] = hist
    names = queries.labels(session, dim=dim, ids=grouped)
    found = []
    for row_id, days in grouped.items():
        if row_id not in names:
            continue  # deleted since
        key, name = names[row_id]
        if dim == "segment":
            found.append(Series(f"{kind.value}/segment:{key}", AnomalyKind.score, kind.value, name, key, days))
        else:
            where = f"the {name} touchpoint"
            found.append(
                Series(f"{kind.value}/touchpoint:{row_id}", AnomalyKind.score, kind.value, where, key, days, row_id)
            )
    return found


def _by_day(hists: Mapping[tuple[int, str | None], Counter[int]]) -> dict[int, Counter[int]]:
    return {day: hist for (day, _), hist in hists.items()}


def scan(
    session: Session, *, weeks: int = 1, days: int = 1, as_of: date | None = None, store: bool = True
) -> AnomalyScan:
    """Test the last `weeks` weeks and `days` days of every series; store and announce what is new (store=True)."""
    if not 0 <= weeks <= MAX_WEEKS or not 0 <= days <= MAX_DAYS:
        raise ValueError(f"weeks must be 0-{MAX_WEEKS} and days 0-{MAX_DAYS}")
    span = window(weeks=weeks, days=days, as_of=as_of)
    series = build_series(session, span.first_day, span.last_day)
    result = anomaly_rules.scan(series, periods={GroupKey.week: span.weeks, GroupKey.day: span.days})
    now = utcnow()
    discoveries = [_read(finding, now) for finding in result.discoveries]
    new_ids: list[int] = []
    if store:
        for read in discoveries:
            stored = _store(session, read)
            if stored is not None:
                new_ids.append(stored)
        if new_ids:
            outbox.emit(session, ANOMALY_DETECTED, {"anomaly_ids": new_ids})
    return AnomalyScan(
        q=significance.FDR_Q,
        weeks=[day_date(s) for s in span.weeks],
        days=[day_date(s) for s in span.days],
        series=len(series),
        tested=len(result.findings),
        discoveries=discoveries,
        new=len(new_ids),
        skipped=[_skipped(skip) for skip in result.skipped],
    )


def _read(finding: Finding, now: datetime) -> AnomalyRead:
    series = finding.series
    return AnomalyRead(
        id=None,
        series=f"{series.key}/{finding.granularity.value}",
        kind=series.kind,
        metric=series.metric,
        scope=series.scope,
        scope_key=series.scope_key,
        touchpoint_id=series.touchpoint_id,
        granularity=finding.granularity.value,
        period_start=day_date(finding.period_start),
        direction=finding.direction,
        value=finding.value,
        baseline=finding.baseline,
        margin=finding.margin,
        n=finding.n,
        baseline_n=finding.baseline_n,
        p_value=finding.p_value,
        q_value=finding.q_value,
        explanation=finding.explanation(),
        detected_at=now,
    )


def _skipped(skip: Skip) -> SkippedSeries:
    return SkippedSeries(
        series=f"{skip.series_key}/{skip.granularity.value}",
        period_start=day_date(skip.period_start),
        reason=skip.reason,
    )


def _store(session: Session, read: AnomalyRead) -> int | None:
    """Insert once per series and period; the id when new, None when a scan stored it before."""
    values = read.model_dump(exclude={"id"})
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Anomaly)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["series", "period_start"])
        .returning(Anomaly.id)
    )
    return session.scalar(statement)


def list_anomalies(
    session: Session,
    *,
    limit: int = 100,
    metric: str | None = None,
    scope_key: str | None = None,
    touchpoint: str | None = None,
    since: date | None = None,
) -> list[AnomalyRead]:
    """Stored anomalies, the latest period first; `touchpoint` (a key) keeps a touchpoint's series, InvalidInput when
    no touchpoint has the key."""
    query = select(Anomaly).order_by(Anomaly.period_start.desc(), Anomaly.id.desc()).limit(limit)
    if metric is not None:
        query = query.where(Anomaly.metric == metric)
    if scope_key is not None:
        query = query.where(Anomaly.scope_key == scope_key)
    if touchpoint is not None:
        touchpoint_id = queries.touchpoint_id(session, key=touchpoint)
        if touchpoint_id is None:
            raise InvalidInput("unknown touchpoint", errors=[FieldError("touchpoint", f"no touchpoint '{touchpoint}'")])
        query = query.where(Anomaly.touchpoint_id == touchpoint_id)
    if since is not None:
        query = query.where(Anomaly.period_start >= since)
    return [AnomalyRead.model_validate(row, from_attributes=True) for row in session.scalars(query)]
