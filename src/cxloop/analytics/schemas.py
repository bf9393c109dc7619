from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from cxloop.analytics.enums import AnomalyDirection, AnomalyKind, GroupKey, MetricKind, MetricPath, MetricSource
from cxloop.core.clock import JsonDate, JsonDateTime


class MetricQuery(BaseModel):
    """What to compute: one metric, grouped and filtered. Filters take keys (segment key, stage key, ...).

    `start`/`end` are dates in `tz` (end inclusive) or aware instants (both ends inclusive).
    """

    metric: MetricKind
    group_by: list[GroupKey] = Field(default_factory=list)
    tz: str = "UTC"
    start: JsonDateTime | JsonDate | None = None
    end: JsonDateTime | JsonDate | None = None
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
    `value` and the interval are null when n = 0; the interval never has zero width. `small_sample` is true when n is
    below the metric's minimum (CXLOOP_METRIC_MIN_N, default 30): shown, but too few to read.
    """

    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    small_sample: bool = False
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


class AnomalyRead(BaseModel):
    """A significant change of one series in one period (day or ISO week starting `period_start`) against the
    periods before it (`baseline`, pooled), with the 95% margin of the difference, the p-value and the q-value
    (Benjamini-Hochberg over the whole scan). `id` is null for a finding not stored (a dry run)."""

    id: int | None
    series: str
    kind: AnomalyKind
    metric: str
    scope: str
    scope_key: str | None
    touchpoint_id: int | None = None  # a metric's series per touchpoint: the touchpoint (scope_key is its key)
    granularity: str
    period_start: JsonDate
    direction: AnomalyDirection
    value: float
    baseline: float
    margin: float
    n: int
    baseline_n: int
    p_value: float
    q_value: float
    explanation: str
    detected_at: JsonDateTime

    # What the series is measured over, read from its key (analytics/anomalies.py `build_series`): the segment of a
    # score series, the channel of a response-rate series, the theme of a theme's series; None where it has none.
    # A touchpoint's series carries the touchpoint's id itself (`touchpoint_id`): keys repeat across journeys.
    @property
    def segment(self) -> str | None:
        return self.scope_key if "/segment:" in self.series else None

    @property
    def channel(self) -> str | None:
        return self.scope_key if "/channel:" in self.series else None

    @property
    def theme(self) -> str | None:
        return self.metric.partition(":")[2] if self.metric.startswith("theme:") else None


class SkippedSeries(BaseModel):
    """A series period the scan did not test, and why (too few answers, too little history)."""

    series: str
    period_start: JsonDate
    reason: str


class AnomalyScan(BaseModel):
    """What one scan tested (the weeks and days, how many series and tests), found (at false-discovery rate q)
    and skipped; `new` counts the discoveries stored for the first time."""

    q: float
    weeks: list[JsonDate]
    days: list[JsonDate]
    series: int
    tested: int
    discoveries: list[AnomalyRead]
    new: int
    skipped: list[SkippedSeries]


class ComparisonSide(BaseModel):
    """One side of a comparison: what it covers in words, its filters and its metric value."""

    label: str
    filters: dict[str, str]
    value: MetricValue


class ComparisonRead(BaseModel):
    """a - b for one metric: the difference, its 95% interval, the two-sided p-value and the verdict (significant
    or within noise). When either side has fewer than `min_n` answers the numbers are null and `explanation` says
    what is missing."""

    metric: MetricKind
    a: ComparisonSide
    b: ComparisonSide
    min_n: int
    difference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    verdict: str = "too few to read"
    explanation: str = ""


class TargetCreate(BaseModel):
    """A target: reach `target_value` of `metric` (overall, or in `segment`) by `due_date`, counted from
    `start_date` (today when left out). NPS -100..100, CSAT 0..100 (%), CES 1..7."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    metric: MetricKind
    segment: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    target_value: float = Field(allow_inf_nan=False)
    due_date: JsonDate
    start_date: JsonDate | None = None


class TargetRead(BaseModel):
    """A target with `baseline` (the 28 days before its start), `current` (the last 28 complete days), progress
    (% of the way from baseline to target), the weekly trend, the value it projects at the due date and the
    probability of reaching the target; null with `explanation` saying why when the data cannot support it."""

    id: int
    name: str
    metric: MetricKind
    segment: str | None
    target_value: float
    start_date: JsonDate
    due_date: JsonDate
    baseline: MetricValue
    current: MetricValue
    progress_pct: float | None = None
    trend_per_week: float | None = None
    projected: float | None = None
    probability: float | None = None
    explanation: str = ""
