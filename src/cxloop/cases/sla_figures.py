"""The SLA report's figures from case rows (pure): shares within a target with n and 95 % interval, and the median
and p90 of working time (docs/cases.md "SLA report"). The same rows are what `cxloop export cases` writes, so the
report can be recounted from an export.

- A case counts towards "acknowledged within 2 h" once its outcome is known: it was acknowledged (a success when
  within 2 working hours), or it has waited longer than 2 working hours unacknowledged (a failure). Cases still
  inside the target are left out of n until then. Likewise for 6 h and for "closed within 48 h".
- Medians are the middle value (the mean of the two middle values for an even n); p90 is the nearest rank
  (the smallest value with at least 90 % of the values at or below it), over the cases that reached the moment.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from cxloop.analytics.stats import wilson_interval


@dataclass(frozen=True)
class Target:
    name: str
    clock: str  # "acknowledge" or "close"
    minutes: int
    percent: float  # the playbook's target share


TARGETS = (
    Target("acknowledged_within_2h", "acknowledge", 120, 60.0),
    Target("acknowledged_within_6h", "acknowledge", 360, 85.0),
    Target("closed_within_48h", "close", 2880, 95.0),
)


@dataclass(frozen=True)
class ClockTime:
    """Working minutes from creation to the moment (`reached`), or to the report's time while it has not come."""

    minutes: float
    reached: bool


@dataclass(frozen=True)
class ShareFigure:
    successes: int
    n: int
    percent: float | None
    interval: tuple[float, float] | None
    target: float


def share(times: Sequence[ClockTime], target: Target) -> ShareFigure:
    successes = sum(1 for t in times if t.reached and t.minutes <= target.minutes)
    n = sum(1 for t in times if t.reached or t.minutes > target.minutes)
    percent = successes / n * 100 if n else None
    return ShareFigure(successes, n, percent, wilson_interval(successes, n), target.percent)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The p-quantile by nearest rank (0 < p <= 1)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p * len(ordered)), 1) - 1]


def hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 4)
