"""Anomaly detection over many series at once, with the false-discovery rate controlled. Pure: no database.

A series is one thing measured per period (a day or an ISO week): a metric's score histogram (NPS of Enterprise),
a share (answered / sent invitations, negative / all mentions of a theme) or a plain count (mentions of a theme).
Each tested period is compared with the BASELINE_PERIODS periods before it, pooled: scores and shares two-sided
(significance.compare), counts one-sided for surges (significance.surge_p_value). All p-values of one scan go
through Benjamini-Hochberg at q = 0.05, so about 5% of what is reported is noise however many series there are.
Periods with too little data are skipped with the reason, never tested. docs/analytics.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cxloop.analytics import buckets, metrics, significance
from cxloop.analytics.enums import AnomalyDirection, AnomalyKind, GroupKey, MetricKind
from cxloop.collection.local_days import day_date

BASELINE_PERIODS = {GroupKey.week: 8, GroupKey.day: 28}
MIN_HISTORY = {GroupKey.week: 4, GroupKey.day: 14}  # periods of data before the tested one
MIN_TRIALS = 30  # invitations (or mentions) in a period for a share to be tested
MIN_SURGE_COUNT = 5  # a count below this is never a surge

Observation = Any  # Counter[int] (score histogram) | tuple[int, int] (successes, trials) | int (count)


@dataclass(frozen=True, slots=True)
class Series:
    """One measured thing, per day: `days` maps a day number to its observation (missing day: nothing observed).

    `key` identifies the series across scans (with the granularity and the period it makes an anomaly unique);
    `metric` is nps/csat/ces for scores, else a name (response_rate, theme:billing); `scope` names who or where is
    measured in words ("Enterprise", "all customers", "email invitations", "the Checkout touchpoint"), `scope_key`
    the segment, touchpoint or channel key, `touchpoint_id` the touchpoint of a touchpoint's series."""

    key: str
    kind: AnomalyKind
    metric: str
    scope: str
    scope_key: str | None
    days: Mapping[int, Observation]
    touchpoint_id: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A tested period: the value now and in the baseline, the margin of the difference, and the p-value."""

    series: Series
    granularity: GroupKey
    period_start: int
    value: float
    baseline: float
    margin: float
    n: int
    baseline_n: int
    p_value: float
    q_value: float = 1.0

    @property
    def direction(self) -> AnomalyDirection:
        if self.series.kind is AnomalyKind.volume:
            return AnomalyDirection.surge
        return AnomalyDirection.rise if self.value > self.baseline else AnomalyDirection.drop

    def explanation(self) -> str:
        """One sentence naming the segment, metric and period, with the margin and n."""
        sentence = self._sentence()
        return sentence[0].upper() + sentence[1:]

    def _sentence(self) -> str:
        period = _period_words(self.period_start, self.granularity)
        if self.series.kind is AnomalyKind.volume:
            per = "a day" if self.granularity is GroupKey.day else "a week"
            return (
                f"{_metric_words(self.series)} for {self.series.scope} surged to {self.n} {period}, against "
                f"{self.baseline:.1f} {per} before (p = {self.p_value:.2g}, beyond the 95% range of its usual count)."
            )
        verb = "rose" if self.direction is AnomalyDirection.rise else "fell"
        fmt = _formatter(self.series)
        return (
            f"{self.series.scope} {_metric_words(self.series)} {verb} from {fmt(self.baseline)} to "
            f"{fmt(self.value)} {period}; the {self.direction} is beyond its 95% margin "
            f"(±{fmt(self.margin, sign=False)}), n = {self.n}."
        )


@dataclass(frozen=True, slots=True)
class Skip:
    """A series period not tested, and why."""

    series_key: str
    granularity: GroupKey
    period_start: int
    reason: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    findings: list[Finding]  # every tested period, q-values set
    skipped: list[Skip]
    q: float

    @property
    def discoveries(self) -> list[Finding]:
        """The findings whose q-value is at most q: about q of them are expected to be noise."""
        return [finding for finding in self.findings if finding.q_value <= self.q]


def scan(
    series: Iterable[Series],
    *,
    periods: Mapping[GroupKey, list[int]],
    q: float = significance.FDR_Q,
) -> ScanResult:
    """Test every series at each period start in `periods` (per granularity) and control the FDR at `q` over all
    tests. Day periods are tested only for series with enough data per day (skipped with the reason otherwise)."""
    findings: list[Finding] = []
    skipped: list[Skip] = []
    for one in series:
        for granularity, starts in periods.items():
            folded = _fold(one, granularity)
            for start in starts:
                outcome = _test(one, folded, granularity, start)
                (findings if isinstance(outcome, Finding) else skipped).append(outcome)  # type: ignore[arg-type]
    q_values = significance.benjamini_hochberg([finding.p_value for finding in findings])
    findings = [replace(finding, q_value=q_value) for finding, q_value in zip(findings, q_values, strict=True)]
    return ScanResult(findings, skipped, q)


def _fold(series: Series, granularity: GroupKey) -> dict[int, Observation]:
    if granularity is GroupKey.day:
        return dict(series.days)
    folded: dict[int, Observation] = {}
    for day, observation in series.days.items():
        start = buckets.bucket_start(day, granularity)
        folded[start] = _add(folded.get(start), observation)
    return folded


def _add(total: Observation | None, observation: Observation) -> Observation:
    if total is None:
        return Counter(observation) if isinstance(observation, Mapping) else observation
    if isinstance(observation, Mapping):
        total.update(observation)
        return total
    if isinstance(observation, tuple):
        return (total[0] + observation[0], total[1] + observation[1])
    return total + observation


def _size(kind: AnomalyKind, observation: Observation | None) -> int:
    if observation is None:
        return 0
    if kind is AnomalyKind.score:
        return sum(observation.values())
    if kind is AnomalyKind.share:
        return int(observation[1])
    return int(observation)


def _test(series: Series, folded: Mapping[int, Observation], granularity: GroupKey, start: int) -> Finding | Skip:
    kind = series.kind
    history = [s for s in folded if s < start]
    baseline_starts = [_step_back(start, granularity, k) for k in range(1, BASELINE_PERIODS[granularity] + 1)]
    oldest = min(history) if history else None
    periods_of_history = sum(1 for s in baseline_starts if oldest is not None and s >= oldest)
    unit = "days" if granularity is GroupKey.day else "weeks"
    if not folded:
        return Skip(series.key, granularity, start, "nothing measured in the weeks read")
    if periods_of_history < MIN_HISTORY[granularity]:
        return Skip(series.key, granularity, start, f"only {periods_of_history} {unit} of history before it")
    current = folded.get(start)
    baseline: Observation | None = None
    for s in baseline_starts:
        if s in folded:
            baseline = _add(baseline, _copy(folded[s]))
    n, baseline_n = _size(kind, current), _size(kind, baseline)
    minimum = _minimum(series)
    if granularity is GroupKey.day and baseline_n / max(periods_of_history, 1) < minimum:
        return Skip(series.key, granularity, start, f"fewer than {minimum} a day on average: read it by week")
    if kind is AnomalyKind.volume:
        # A baseline period within the series' history with nothing observed counted zero.
        if n < MIN_SURGE_COUNT:
            return Skip(series.key, granularity, start, f"count {n} is below {MIN_SURGE_COUNT}")
        p_value = significance.surge_p_value(n, baseline_n, periods_of_history)
        mean = baseline_n / periods_of_history
        return Finding(series, granularity, start, float(n), mean, 0.0, n, baseline_n, p_value)
    if n < minimum or baseline_n < minimum:
        which, size = ("it", n) if n < minimum else ("its baseline", baseline_n)
        return Skip(series.key, granularity, start, f"n = {size} in {which}, fewer than {minimum}: too few to read")
    now, before = _estimate(series, current), _estimate(series, baseline)
    if now is None or before is None:
        return Skip(series.key, granularity, start, "no value")
    comparison = significance.compare(now, before)
    margin = (comparison.ci_high - comparison.ci_low) / 2
    return Finding(series, granularity, start, now.value, before.value, margin, n, baseline_n, comparison.p_value)


def _copy(observation: Observation) -> Observation:
    return Counter(observation) if isinstance(observation, Mapping) else observation


def _minimum(series: Series) -> int:
    if series.kind is AnomalyKind.score:
        return metrics.min_n(MetricKind(series.metric))
    if series.kind is AnomalyKind.share:
        return MIN_TRIALS
    return MIN_SURGE_COUNT


def _estimate(series: Series, observation: Observation) -> significance.Estimate | None:
    if series.kind is AnomalyKind.score:
        definition = metrics.metric(MetricKind(series.metric))
        return definition.estimate(definition.summarise(observation))
    return significance.proportion_estimate(int(observation[0]), int(observation[1]))


def _step_back(start: int, granularity: GroupKey, periods: int) -> int:
    return start - periods * (7 if granularity is GroupKey.week else 1)


def _period_words(start: int, granularity: GroupKey) -> str:
    day = day_date(start)
    words = f"{day.day} {day:%b %Y}"
    return f"on {words}" if granularity is GroupKey.day else f"in the week of {words}"


_METRIC_WORDS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "response_rate": "response rate"}


def _metric_words(series: Series) -> str:
    if series.metric.startswith("theme:"):
        name = series.metric.partition(":")[2]
        return f"negative mentions of '{name}'" if series.kind is AnomalyKind.share else f"mentions of '{name}'"
    return _METRIC_WORDS.get(series.metric, series.metric)


def _formatter(series: Series) -> Callable[..., str]:
    def fmt(value: float, *, sign: bool = True) -> str:  # noqa: ARG001
        if series.metric == "nps":
            return f"{value:.0f}"
        if series.metric == "ces":
            return f"{value:.2f}"
        return f"{value:.1f}%" if sign else f"{value:.1f} points"

    return fmt
