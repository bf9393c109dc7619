"""The SLA report's targets and figures (pure): shares within a target with n and 95 % interval, and hours from
minutes (docs/cases.md "SLA report"). The report counts in SQL (service/reporting.py) the working minutes
`cxloop export cases` writes, so it can be recounted from an export.

- A case counts towards "acknowledged within 2 h" once its outcome is known: it was acknowledged (a success when
  within 2 working hours), or it has waited longer than 2 working hours unacknowledged (a failure). Cases still
  inside the target are left out of n until then. Likewise for 6 h and for "closed within 48 h".
- Medians are the middle value (the mean of the two middle values for an even n); p90 is the nearest rank
  (the smallest value with at least 90 % of the values at or below it), over the cases that reached the moment.
"""

from __future__ import annotations

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
class ShareFigure:
    successes: int
    n: int
    percent: float | None
    interval: tuple[float, float] | None
    target: float


def share_figure(successes: int, n: int, target: Target) -> ShareFigure:
    """`successes` of `n` known outcomes: the percentage and its 95 % Wilson interval, next to the target."""
    percent = successes / n * 100 if n else None
    return ShareFigure(successes, n, percent, wilson_interval(successes, n), target.percent)


def hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 4)
