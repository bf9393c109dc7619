"""Effect sizes with 95% intervals for the outcome, operations and agent analyses. Pure: no database.

- risk_ratio: rate in group a over rate in group b (Katz log interval; half a count added to every cell when one
  is zero, so the ratio and its interval always exist);
- spearman: rank correlation (average ranks for ties) with a Fisher-z interval on the Bonett-Wright standard error,
  which keeps its coverage for the heavily tied 1-5 and 0-10 scores;
- mean_interval: a Student t interval from n, the sum and the sum of squares (what SQL aggregates);
- quantile_interval: a distribution-free interval for a quantile from order statistics (binomial);
- bin_edges: quantile bins, or one bin per value when a measure takes few values (transfers 0, 1, 2).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cxloop.analytics.stats import Z95, t_quantile


@dataclass(frozen=True, slots=True)
class Ratio:
    """a / b with its 95% interval and two-sided p-value (H0: ratio 1)."""

    value: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True, slots=True)
class Correlation:
    """Spearman's rho over n pairs, its 95% interval and two-sided p-value (H0: rho 0)."""

    n: int
    rho: float
    ci_low: float
    ci_high: float
    p_value: float


def risk_ratio(a_events: int, a_n: int, b_events: int, b_n: int) -> Ratio:
    """The rate a_events/a_n over b_events/b_n; both n must be >= 1."""
    if a_n < 1 or b_n < 1:
        raise ValueError("both groups need at least one member")
    if 0 in (a_events, b_events, a_n - a_events, b_n - b_events):
        a_events_f, b_events_f, a_n_f, b_n_f = a_events + 0.5, b_events + 0.5, a_n + 1.0, b_n + 1.0
    else:
        a_events_f, b_events_f, a_n_f, b_n_f = float(a_events), float(b_events), float(a_n), float(b_n)
    log_ratio = math.log((a_events_f / a_n_f) / (b_events_f / b_n_f))
    se = math.sqrt(1 / a_events_f - 1 / a_n_f + 1 / b_events_f - 1 / b_n_f)
    p_value = math.erfc(abs(log_ratio) / se / math.sqrt(2))  # two-sided normal tail
    ratio = (a_events / a_n) / (b_events / b_n) if b_events else math.exp(log_ratio)
    return Ratio(ratio, math.exp(log_ratio - Z95 * se), math.exp(log_ratio + Z95 * se), float(p_value))


def spearman(x: Sequence[float], y: Sequence[float]) -> Correlation | None:
    """None when fewer than 4 pairs or either side is constant: no correlation can be read."""
    n = len(x)
    if n < 4 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    from scipy import stats as sp  # here, not at import: scipy.stats costs ~1 s to load

    result = sp.spearmanr(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    rho = float(result.statistic)
    p_value = float(result.pvalue)
    z = math.atanh(max(min(rho, 0.999999), -0.999999))
    se = math.sqrt((1 + rho * rho / 2) / (n - 3))
    return Correlation(n, rho, math.tanh(z - Z95 * se), math.tanh(z + Z95 * se), p_value)


def mean_interval(n: int, total: float, total_sq: float) -> tuple[float, float | None, float | None]:
    """Mean and its 95% t interval; no interval below n = 2."""
    mean = total / n
    if n < 2:
        return mean, None, None
    variance = max(total_sq - n * mean * mean, 0.0) / (n - 1)
    half = t_quantile(0.975, n - 1) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


def quantile_interval(ordered: Sequence[float], q: float) -> tuple[float, float | None, float | None]:
    """The q-quantile of sorted values and a distribution-free 95% interval (order statistics whose ranks bracket
    n*q with binomial probability >= 95%); the bounds are None when n is too small to reach 95%."""
    from scipy import stats as sp

    n = len(ordered)
    estimate = float(np.quantile(np.asarray(ordered, dtype=float), q))
    low_rank = int(sp.binom.ppf(0.025, n, q))  # 0-based index of the lower order statistic
    high_rank = int(sp.binom.ppf(0.975, n, q)) + 1
    if low_rank < 1 or high_rank > n:
        return estimate, None, None
    return estimate, float(ordered[low_rank - 1]), float(ordered[high_rank - 1])


def bin_edges(values: Sequence[float], bins: int) -> list[float]:
    """Lower edges of up to `bins` bins: one per distinct value when there are at most `bins` of them, else quantile
    edges; an edge that repeats the one before (a measure that is mostly 0) moves to the next distinct value, so no
    bin is empty and a zero-inflated measure still gets its bins."""
    distinct = sorted(set(values))
    if len(distinct) <= bins:
        return [float(v) for v in distinct]
    cuts = np.quantile(np.asarray(values, dtype=float), [i / bins for i in range(bins)])
    edges: list[float] = []
    for cut in cuts:
        edge = float(cut)
        if edges and edge <= edges[-1]:
            above = bisect.bisect_right(distinct, edges[-1])
            if above == len(distinct):
                break
            edge = float(distinct[above])
        edges.append(edge)
    return edges


def bin_index(edges: Sequence[float], value: float) -> int:
    """The bin whose lower edge is the largest one <= value (values below the first edge go in the first)."""
    return max(int(np.searchsorted(np.asarray(edges), value, side="right")) - 1, 0)


def p_words(p: float) -> str:
    """A p- or q-value after its letter: "= 0.0041", or "< 0.0001" (never "= 0")."""
    return "< 0.0001" if p < 0.0001 else f"= {p:.2g}"
