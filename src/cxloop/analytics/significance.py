"""Differences between two groups or periods, surges in counts, and the false-discovery rate. Pure: no database.

Every metric gives an `Estimate` (its value, a standard error that is never zero, and degrees of freedom for a t
test or None for a normal one); `compare` turns two into a difference with its 95% interval and a two-sided
p-value. The standard errors carry the same pseudo-answers as the intervals (stats.py), Agresti-Caffo style, so a
comparison never divides by zero and small groups are not called significant on luck (docs/analytics.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cxloop.analytics import stats

FDR_Q = 0.05  # the false-discovery rate the anomaly scan controls across all its series


@dataclass(frozen=True, slots=True)
class Estimate:
    """A metric's value with its standard error (> 0) over n answers; df None: normal, else Student t."""

    value: float
    se: float
    n: int
    df: float | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    """a - b, its 95% interval and the two-sided p-value of "no difference"."""

    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    significant: bool

    @property
    def verdict(self) -> str:
        return "significant" if self.significant else "within noise"


def nps_estimate(summary: stats.NpsSummary) -> Estimate | None:
    """NPS points, se from the adjusted trinomial variance."""
    if summary.value is None or summary.adjusted_variance is None:
        return None
    return Estimate(summary.value, math.sqrt(summary.adjusted_variance) * 100, summary.n)


def proportion_estimate(successes: int, n: int) -> Estimate | None:
    """A share in percent; se from p' = (x + 1) / (n + 2) (Agresti-Caffo's added success and failure)."""
    if n <= 0:
        return None
    adjusted = (successes + 1) / (n + 2)
    return Estimate(successes / n * 100, math.sqrt(adjusted * (1 - adjusted) / (n + 2)) * 100, n)


def csat_estimate(summary: stats.CsatSummary) -> Estimate | None:
    """CSAT % (share of 4-5 answers)."""
    return proportion_estimate(summary.satisfied, summary.n)


def ces_estimate(summary: stats.CesSummary) -> Estimate | None:
    """CES mean; se from the variance with pseudo-answers at both ends of the scale, t with n - 1 df."""
    if summary.value is None or summary.adjusted_variance is None:
        return None
    return Estimate(summary.value, math.sqrt(summary.adjusted_variance / summary.n), summary.n, max(summary.n - 1, 1))


def compare(a: Estimate, b: Estimate) -> Comparison:
    """a - b with a 95% interval and a two-sided p-value: z test, or Welch's t test when both carry df."""
    difference = a.value - b.value
    se = math.sqrt(a.se**2 + b.se**2)
    statistic = abs(difference) / se
    if a.df is None or b.df is None:
        p_value = math.erfc(statistic / math.sqrt(2))
        critical = stats.Z95
    else:
        va, vb = a.se**2, b.se**2
        df = (va + vb) ** 2 / (va * va / a.df + vb * vb / b.df)
        p_value = 2 * stats.t_cdf(-statistic, df)
        critical = stats.t_quantile(0.975, df)
    p_value = min(1.0, p_value)
    return Comparison(
        difference, difference - critical * se, difference + critical * se, p_value, p_value < stats.ALPHA
    )


def surge_p_value(current: int, baseline_total: int, baseline_periods: int) -> float:
    """One-sided p-value that `current` events in one period exceed the rate of the `baseline_periods` before.

    Two Poisson counts compared exactly by conditioning on their sum: under "same rate", current ~
    Binomial(current + baseline_total, 1 / (baseline_periods + 1)); p = P(X >= current).
    """
    if baseline_periods < 1:
        raise ValueError("a surge needs at least one baseline period")
    if current <= 0:
        return 1.0
    total = current + baseline_total
    share = 1 / (baseline_periods + 1)
    return min(1.0, stats.betainc(current, total - current + 1, share))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in input order; a test is a discovery when its q-value <= q.

    Controls the expected share of false discoveries among all discoveries at q for independent (or positively
    dependent) tests.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * m / rank)
        adjusted[index] = min(1.0, running)
    return adjusted
