"""The metric registry: for each metric, how its summary is computed from a score histogram, how two periods are
compared, which summary fields the API shows, and which scores feed it from each source (raw rows and rollups).

Pure (no database). The maths lives in stats.py and the scales in surveys/scales.py; adding a metric is one entry
here plus its statistics (docs/development/adding-a-metric.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from cxloop.analytics import significance, stats
from cxloop.analytics.enums import MetricKind, MetricSource
from cxloop.surveys.scales import SCALES


@dataclass(frozen=True, slots=True)
class Metric:
    """How one metric is computed. Its summary has `n`, `value`, `ci_low` and `ci_high` (the 95% interval) and the
    fields named in `extra_fields`."""

    kind: MetricKind
    summarise: Callable[[stats.Histogram], Any]
    change: Callable[[Any, Any], stats.Change]  # (current summary, previous summary)
    extra_fields: tuple[str, ...]
    # Source -> the scores counted: a response column (also the score_rollups.metric counting it), or "rating" for
    # feedback items' ratings. The raw-row query and the rollups both read it.
    scores: Mapping[MetricSource, tuple[str, ...]]
    # The summary as a value with a never-zero standard error, for comparisons and anomalies (significance.py).
    estimate: Callable[[Any], significance.Estimate | None]

    def fields(self, summary: Any) -> dict[str, Any]:
        """The summary as MetricValue fields, with `small_sample` when n is below the metric's minimum."""
        shown = ("value", "n", "ci_low", "ci_high", *self.extra_fields)
        return {name: getattr(summary, name) for name in shown} | {"small_sample": summary.n < min_n(self.kind)}


def _from_responses(metric: str) -> dict[MetricSource, tuple[str, ...]]:
    """A survey-only score: feedback items carry none of it."""
    return {MetricSource.responses: (metric,), MetricSource.feedback: (), MetricSource.all: (metric,)}


_DEFINITIONS = (
    Metric(
        kind=MetricKind.nps,
        summarise=stats.nps,
        change=stats.nps_change,
        extra_fields=("promoters", "passives", "detractors"),
        scores=_from_responses("nps"),
        estimate=significance.nps_estimate,
    ),
    Metric(
        kind=MetricKind.csat,
        summarise=stats.csat,
        change=stats.csat_change,
        extra_fields=("satisfied", "mean"),
        # A feedback item's 1-5 rating counts as CSAT, kept in rollups of its own ("rating").
        scores={
            MetricSource.responses: ("csat",),
            MetricSource.feedback: ("rating",),
            MetricSource.all: ("csat", "rating"),
        },
        estimate=significance.csat_estimate,
    ),
    Metric(
        kind=MetricKind.ces,
        summarise=stats.ces,
        change=stats.ces_change,
        extra_fields=("easy", "easy_pct", "easy_ci_low", "easy_ci_high"),
        scores=_from_responses("ces"),
        estimate=significance.ces_estimate,
    ),
)


def _checked(definitions: tuple[Metric, ...]) -> Mapping[MetricKind, Metric]:
    registry: dict[MetricKind, Metric] = {}
    for definition in definitions:
        if definition.kind in registry:
            raise ValueError(f"metric {definition.kind} is defined twice")
        if set(definition.scores) != set(MetricSource):
            raise ValueError(f"metric {definition.kind} must name its scores for every source")
        unknown = {name for names in definition.scores.values() for name in names} - SCALES.keys()
        if unknown:
            raise ValueError(f"metric {definition.kind} counts scores with no scale: {sorted(unknown)}")
        registry[definition.kind] = definition
    return MappingProxyType(registry)


METRICS: Mapping[MetricKind, Metric] = _checked(_DEFINITIONS)


def metric(kind: MetricKind) -> Metric:
    """The definition of one metric."""
    return METRICS[kind]


DEFAULT_MIN_N = 30
MIN_N_LIMITS = (2, 1_000_000)
_min_n: dict[MetricKind, int] = {}


def configure_min_n(overrides: Mapping[str, int]) -> None:
    """Set the minimum n per metric (CXLOOP_METRIC_MIN_N, e.g. {"nps": 50}); unnamed metrics keep DEFAULT_MIN_N.
    ValueError names an unknown metric or a value out of range."""
    checked: dict[MetricKind, int] = {}
    for name, value in overrides.items():
        try:
            kind = MetricKind(name)
        except ValueError:
            options = ", ".join(k.value for k in MetricKind)
            raise ValueError(f"CXLOOP_METRIC_MIN_N: '{name}' is not a metric ({options})") from None
        if not MIN_N_LIMITS[0] <= value <= MIN_N_LIMITS[1]:
            low, high = MIN_N_LIMITS
            raise ValueError(f"CXLOOP_METRIC_MIN_N: the minimum n of {name} must be {low}-{high:,}, got {value}")
        checked[kind] = value
    _min_n.clear()
    _min_n.update(checked)


def min_n(kind: MetricKind) -> int:
    """Below this many answers a figure of `kind` is flagged small_sample: shown, but too few to read."""
    return _min_n.get(kind, DEFAULT_MIN_N)
