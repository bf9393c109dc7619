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


BANDS: Mapping[MetricKind, tuple[Band, ...]] = MappingProxyType(
    {
        MetricKind.nps: (Band("detractor", 0, 6), Band("passive", 7, 8), Band("promoter", 9, 10)),
        MetricKind.csat: (Band("unsatisfied", 1, 2), Band("neutral", 3, 3), Band("satisfied", 4, 5)),
        MetricKind.ces: (Band("hard", 1, 3), Band("neutral", 4, 4), Band("easy", 5, 7)),
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
