"""What the overview page shows, computed from the analytics service: the three score cards with their intervals and
period-over-period change, the trend of one metric with its confidence band, volume and response rate by channel,
and breakdowns by segment and journey stage. Every figure keeps its n; small samples are flagged, never hidden."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from cxloop.analytics import metrics as metric_registry
from cxloop.analytics import service as analytics
from cxloop.analytics.enums import FatigueGroup, GroupKey, MetricKind
from cxloop.analytics.fatigue import FatigueRow, fatigue_report
from cxloop.analytics.schemas import MetricGroup, MetricQuery, MetricResult, MetricValue
from cxloop.analytics.service import PeriodComparison
from cxloop.collection import local_days
from cxloop.precomputed import registry
from cxloop.precomputed.service import Stored
from cxloop.web import stored_analysis
from cxloop.web.filters import View

# How each metric reads on a card: name, unit, decimals of its value and of its change, and its scale.
METRICS: dict[MetricKind, dict[str, Any]] = {
    MetricKind.nps: {
        "name": "NPS",
        "unit": "",
        "digits": 0,
        "signed": True,
        "change_unit": " points",
        "scale": "-100 to +100",
    },
    MetricKind.csat: {
        "name": "CSAT",
        "unit": " %",
        "digits": 1,
        "signed": False,
        "change_unit": " points",
        "scale": "% rating 4-5",
    },
    MetricKind.ces: {
        "name": "CES",
        "unit": "",
        "digits": 2,
        "signed": False,
        "change_unit": "",
        "scale": "mean on 1-7",
    },
}


@dataclass(frozen=True)
class Card:
    """A score card: live (`stored` None) or read from the stored comparison it shows."""

    metric: MetricKind
    current: MetricValue
    previous: MetricValue
    change: float | None
    significant: bool
    stored: Stored[PeriodComparison] | None = None
    pending = False

    @property
    def readable(self) -> bool:
        return self.current.n >= metric_registry.min_n(self.metric)

    @property
    def change_words(self) -> str:
        """'up 4.2 points, significant' / 'down 1 point, within noise' / why there is no comparison."""
        if self.current.n == 0:
            return "no answers in this period"
        if self.previous.n == 0 or self.change is None:
            return "nothing to compare with: no answers in the previous period"
        spec = METRICS[self.metric]
        direction = "up" if self.change > 0 else "down" if self.change < 0 else "unchanged"
        amount = f" {abs(self.change):.{spec['digits']}f}{spec['change_unit']}" if self.change else ""
        return f"{direction}{amount}, {'significant' if self.significant else 'within noise'}"

    @property
    def trend(self) -> str:
        """'up' or 'down' only when the change is significant: a change within noise gets no coloured arrow."""
        if not self.significant or self.change is None or self.change == 0:
            return "flat"
        return "up" if self.change > 0 else "down"


def _query(view: View, metric: MetricKind, tz: str, *, start: date, end: date, **extra: Any) -> MetricQuery:
    return MetricQuery(metric=metric, tz=tz, start=start, end=end, **view.dims, **extra)


def card(session: Session, view: View, tz: str, metric: MetricKind) -> Card:
    """One metric over the view against the period of the same length just before it."""
    before_start, before_end = view.previous
    comparison = analytics.compare_periods(
        session,
        query=_query(view, metric, tz, start=view.start, end=view.end),
        previous=_query(view, metric, tz, start=before_start, end=before_end),
    )
    return Card(metric, comparison.current, comparison.previous, comparison.change, comparison.significant)


@dataclass(frozen=True)
class PendingCard:
    """A score card whose stored comparison is being computed (its first computation)."""

    metric: MetricKind
    stored: Stored[PeriodComparison]
    pending = True


def score_card(request: Request, session: Session, view: View, tz: str, metric: MetricKind) -> Card | PendingCard:
    """The card live when the rollups answer it (one filter or none), else the stored result of the same comparison
    (two filters or more read raw rows); the filters are checked here either way (InvalidInput naming the field)."""
    query = _query(view, metric, tz, start=view.start, end=view.end)
    if analytics.answers_from_rollups(query):
        return card(session, view, tz, metric)
    analytics.check_query(session, query)
    params = registry.MetricParams(metric=metric, tz=tz, start=view.start, end=view.end, **view.dims)
    found = stored_analysis.load(request, session, registry.COMPARISON, params)
    if found.value is None:
        return PendingCard(metric, found)
    c = found.value
    return Card(metric, c.current, c.previous, c.change, c.significant, stored=found)


def cards(request: Request, session: Session, view: View, tz: str) -> list[Card | PendingCard]:
    return [score_card(request, session, view, tz, metric) for metric in METRICS]


def trend_bucket(view: View) -> GroupKey:
    """Days for a month or less, weeks up to half a year, months beyond."""
    if view.days <= 31:
        return GroupKey.day
    if view.days <= 190:
        return GroupKey.week
    return GroupKey.month


def trend_of(result: MetricResult, bucket: GroupKey) -> dict[str, Any]:
    """A metric by period as the chart reads it."""
    minimum = metric_registry.min_n(result.metric)
    points = [
        {
            "period": group.keys.get(bucket.value),
            "value": group.value,
            "low": group.ci_low,
            "high": group.ci_high,
            "n": group.n,
            "small": group.n < minimum,
        }
        for group in result.groups
    ]
    return {"metric": METRICS[result.metric]["name"], "bucket": bucket.value, "min_n": minimum, "points": points}


def largest_first(result: MetricResult) -> list[MetricGroup]:
    return sorted(result.groups, key=lambda group: -group.n)


@dataclass(frozen=True)
class Grouped:
    """A panel's metric grouped by one key: computed live from the rollups (`stored` None), or read from the stored
    analysis (`result` None while its first computation runs)."""

    result: MetricResult | None
    stored: Stored[MetricResult] | None = None


def grouped(request: Request, session: Session, view: View, tz: str, metric: MetricKind, by: GroupKey) -> Grouped:
    """The metric over the view grouped by `by`: live when the rollups answer it (one filter or none, grouped by
    that dimension or by time), else the stored result of the same computation (web/stored_analysis.py), which
    reads raw rows (a breakdown within a filter: the rollups hold one dimension at a time)."""
    query = _query(view, metric, tz, start=view.start, end=view.end, group_by=[by])
    if analytics.answers_from_rollups(query):
        return Grouped(analytics.compute_metric(session, query=query))
    analytics.check_query(session, query)  # a bad filter is refused at once, never queued
    params = registry.GroupedMetricParams(metric=metric, by=by, tz=tz, start=view.start, end=view.end, **view.dims)
    found = stored_analysis.load(request, session, registry.GROUPED_METRIC, params)
    return Grouped(found.value, found)


def response_rates(session: Session, view: View, tz: str, by: FatigueGroup) -> list[FatigueRow]:
    """What happened to the invitations created in the range, per group (channel, survey, touchpoint, contact
    policy): suppressed by reason, sent, answered, and the response rate with its Wilson interval."""
    zone = local_days.zone(tz)
    since = datetime.combine(view.start, time.min, zone)
    until = datetime.combine(view.end + timedelta(days=1), time.min, zone)
    return fatigue_report(session, group_by=by.value, since=since, until=until)
