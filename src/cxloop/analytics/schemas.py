from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from cxloop.analytics.enums import GroupKey, MetricKind, MetricPath, MetricSource


class MetricQuery(BaseModel):
    """What to compute: one metric, grouped and filtered. Filters take keys (segment key, stage key, ...).

    `start`/`end` are dates in `tz` (end inclusive) or aware instants (both ends inclusive).
    """

    metric: MetricKind
    group_by: list[GroupKey] = Field(default_factory=list)
    tz: str = "UTC"
    start: datetime | date | None = None
    end: datetime | date | None = None
    segment: str | None = None
    stage: str | None = None
    touchpoint: str | None = None
    channel: str | None = None
    survey: str | None = None
    account: str | None = None
    source: MetricSource = MetricSource.all


class MetricValue(BaseModel):
    """A metric over some feedback: its value, n and 95% interval, plus the metric's own counts.

    NPS: value in points (-100..100) with promoters/passives/detractors. CSAT: value = % of 4-5 answers, `satisfied`
    and `mean` (1-5). CES: value = mean on 1-7, with `easy` (5-7 answers) as a count and a % with its interval.
    `value` is null when n = 0; the interval is null when n < 2.
    """

    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    satisfied: int | None = None
    mean: float | None = None
    easy: int | None = None
    easy_pct: float | None = None
    easy_ci_low: float | None = None
    easy_ci_high: float | None = None


class MetricGroup(MetricValue):
    """One group: its keys (e.g. {"month": "2026-03", "segment": "enterprise"}), display names, and for time groups
    the change from the previous period of the same group and whether it is significant at 5%."""

    keys: dict[str, str | None]
    labels: dict[str, str | None] = Field(default_factory=dict)
    change: float | None = None
    change_significant: bool | None = None


class MetricResult(BaseModel):
    """The answer to a MetricQuery. `path` says whether rollups or raw rows answered (the numbers are the same)."""

    metric: MetricKind
    tz: str
    group_by: list[GroupKey]
    filters: dict[str, str]
    source: MetricSource
    total: MetricValue
    groups: list[MetricGroup]
    path: MetricPath
