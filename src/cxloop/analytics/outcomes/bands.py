"""Score bands per metric: the one place that says what a detractor, an unsatisfied or a hard answer is.

The first band of each metric is the worst and the last the best; analyses compare the two (docs/metrics.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cxloop.analytics.enums import MetricKind


@dataclass(frozen=True, slots=True)
class Band:
    """Scores `low`..`high` (inclusive) of one metric."""

    key: str
    low: int
    high: int
    people: str  # the customers in it, for sentences ("detractors", "customers who found it hard")


BANDS: Mapping[MetricKind, tuple[Band, ...]] = MappingProxyType(
    {
        MetricKind.nps: (
            Band("detractor", 0, 6, "detractors"),
            Band("passive", 7, 8, "passives"),
            Band("promoter", 9, 10, "promoters"),
        ),
        MetricKind.csat: (
            Band("unsatisfied", 1, 2, "unsatisfied customers"),
            Band("neutral", 3, 3, "neutral customers"),
            Band("satisfied", 4, 5, "satisfied customers"),
        ),
        MetricKind.ces: (
            Band("hard", 1, 3, "customers who found it hard"),
            Band("neutral", 4, 4, "neutral customers"),
            Band("easy", 5, 7, "customers who found it easy"),
        ),
    }
)


def band_of(metric: MetricKind, score: int) -> str:
    """The band key of a score; ValueError when it is off the metric's scale."""
    for band in BANDS[metric]:
        if band.low <= score <= band.high:
            return band.key
    raise ValueError(f"{metric.value} score {score} is off the scale")


def worst(metric: MetricKind) -> Band:
    return BANDS[metric][0]


def best(metric: MetricKind) -> Band:
    return BANDS[metric][-1]
