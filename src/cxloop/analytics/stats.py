"""NPS, CSAT and CES from a score histogram, with 95% intervals and period-over-period tests. Pure: no database.

A histogram maps a score to how many times it was given. Every function here is exact arithmetic on the histogram,
so any two ways of counting the same feedback give the same floats. Conventions (docs/metrics.md):
- n == 0: no value and no interval; n >= 1: a value and an interval that never has zero width (NPS: adjusted Wald
  with 3/4 of a pseudo-answer added to each category; CSAT and CES %: Wilson; CES mean: t interval on a variance
  that counts half a pseudo-answer at each end of the scale), so n = 2 never reads "100 [100, 100]";
- n < 2: no change is significant;
- out-of-scale scores are a caller bug and raise ValueError (the SQL never selects them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

from cxloop.surveys import scales

Z95 = NormalDist().inv_cdf(0.975)  # 1.959963984540054
ALPHA = 0.05
NPS_PSEUDO = 0.75  # pseudo-answers added to each of promoters, passives, detractors (coverage: docs/metrics.md)
CES_PSEUDO = 0.5  # pseudo-answers added at each end of the CES scale (1 and 7) for the variance only

Histogram = Mapping[int, int]


@dataclass(frozen=True, slots=True)
class NpsSummary:
    """NPS in points (-100..100); `variance` is of the mean in proportion units, for the change test;
    `adjusted_variance` the same with the pseudo-answers, never zero (intervals and comparisons)."""

    n: int
    promoters: int
    passives: int
    detractors: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    variance: float | None
    adjusted_variance: float | None = None


@dataclass(frozen=True, slots=True)
class CsatSummary:
    """CSAT as % of 4-5 answers (Wilson interval), plus the mean score on 1-5."""

    n: int
    satisfied: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    mean: float | None


@dataclass(frozen=True, slots=True)
class CesSummary:
    """CES as the mean on 1-7 (Student t interval), plus % of 5-7 answers (Wilson interval). `sample_variance` is
    the answers' own (None when n < 2); `adjusted_variance` adds half a pseudo-answer at 1 and at 7, never zero."""

    n: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    sample_variance: float | None
    easy: int
    easy_pct: float | None
    easy_ci_low: float | None
    easy_ci_high: float | None
    adjusted_variance: float | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """A difference between two periods (current minus previous) and whether a 5% two-sided test rejects zero."""

    value: float | None
    significant: bool


def _checked(hist: Histogram, scale: tuple[int, int]) -> dict[int, int]:
    low, high = scale
    counts: dict[int, int] = {}
    for score, count in hist.items():
        if not low <= score <= high:
            raise ValueError(f"score {score} is outside {low}-{high}")
        if count < 0:
            raise ValueError(f"negative count {count} for score {score}")
        if count:
            counts[score] = counts.get(score, 0) + count
    return counts


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def wilson_interval(successes: int, n: int) -> tuple[float, float] | None:
    """Wilson score 95% interval for a proportion, in percent (width > 0 for every n >= 1); None when n == 0."""
    if n < 1:
        return None
    p = successes / n
    z2 = Z95 * Z95
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At 0 or n successes the bound is exactly 0% or 100%; do not let rounding put it a hair off.
    low = 0.0 if successes == 0 else _clip(centre - half, 0.0, 1.0) * 100
    high = 100.0 if successes == n else _clip(centre + half, 0.0, 1.0) * 100
    return low, high


def nps(hist: Histogram) -> NpsSummary:
    """NPS = %promoters (9-10) - %detractors (0-6), with an adjusted Wald 95% interval.

    The interval adds NPS_PSEUDO answers to each category (n' = n + 2.25), centres on p' - d' with
    var' = (p' + d' - (p' - d')^2) / n', clips to -100..100 and always contains the observed NPS. It never has zero
    width; its exact coverage over a grid of true shares is 95-97.5% on average from n = 1 (tests/analytics).
    """
    counts = _checked(hist, scales.NPS)
    n = sum(counts.values())
    promoters = counts.get(9, 0) + counts.get(10, 0)
    detractors = sum(c for s, c in counts.items() if s <= 6)
    passives = n - promoters - detractors
    if n == 0:
        return NpsSummary(0, 0, 0, 0, None, None, None, None)
    p, d = promoters / n, detractors / n
    value = (p - d) * 100
    variance = (p + d - (p - d) ** 2) / n
    low, high, adjusted = nps_interval(promoters, detractors, n)
    return NpsSummary(n, promoters, passives, detractors, value, low, high, variance, adjusted)


def nps_interval(promoters: int, detractors: int, n: int) -> tuple[float, float, float]:
    """(low, high) in NPS points and the adjusted variance (proportion units) for n >= 1 answers."""
    total = n + 3 * NPS_PSEUDO
    p, d = (promoters + NPS_PSEUDO) / total, (detractors + NPS_PSEUDO) / total
    adjusted = (p + d - (p - d) ** 2) / total
    centre, half = (p - d) * 100, Z95 * math.sqrt(adjusted) * 100
    value = (promoters - detractors) / n * 100
    low = min(_clip(centre - half, -100.0, 100.0), value)
    high = max(_clip(centre + half, -100.0, 100.0), value)
    return low, high, adjusted


def csat(hist: Histogram) -> CsatSummary:
    """CSAT = % of 4-5 answers on 1-5, with a Wilson 95% interval, and the mean score."""
    counts = _checked(hist, scales.CSAT)
    n = sum(counts.values())
    if n == 0:
        return CsatSummary(0, 0, None, None, None, None)
    satisfied = counts.get(4, 0) + counts.get(5, 0)
    interval = wilson_interval(satisfied, n)
    mean = sum(s * c for s, c in counts.items()) / n
    return CsatSummary(
        n,
        satisfied,
        satisfied / n * 100,
        interval[0] if interval else None,
        interval[1] if interval else None,
        mean,
    )


def ces(hist: Histogram) -> CesSummary:
    """CES = mean on 1-7 with a Student t 95% interval, and % of 5-7 answers (Wilson).

    The t interval uses the variance of the answers plus CES_PSEUDO pseudo-answers at 1 and at 7 (df = n - 1, at
    least 1), so identical answers or n = 1 still get an honest width; it is centred on the observed mean.
    """
    counts = _checked(hist, scales.CES)
    n = sum(counts.values())
    if n == 0:
        return CesSummary(0, None, None, None, None, 0, None, None, None)
    easy = sum(c for s, c in counts.items() if s >= 5)
    easy_interval = wilson_interval(easy, n)
    total = sum(s * c for s, c in counts.items())
    mean = total / n
    variance = None
    if n >= 2:
        # Sum of squared deviations from exact integers, so it is never negative from rounding.
        squares = sum(c * (s * n - total) ** 2 for s, c in counts.items())
        variance = squares / (n * n * (n - 1))
    adjusted = ces_adjusted_variance(counts, n)
    half = t_quantile(0.975, max(n - 1, 1)) * math.sqrt(adjusted / n)
    return CesSummary(
        n,
        mean,
        _clip(mean - half, *scales.CES),
        _clip(mean + half, *scales.CES),
        variance,
        easy,
        easy / n * 100,
        easy_interval[0] if easy_interval else None,
        easy_interval[1] if easy_interval else None,
        adjusted,
    )


def ces_adjusted_variance(counts: Mapping[int, int], n: int) -> float:
    """Sample variance of the answers plus CES_PSEUDO answers at each end of the scale (never zero)."""
    low, high = scales.CES
    weights: dict[int, float] = dict(counts)
    weights[low] = weights.get(low, 0) + CES_PSEUDO
    weights[high] = weights.get(high, 0) + CES_PSEUDO
    size = n + 2 * CES_PSEUDO
    ordered = sorted(weights.items())  # the same floats whichever way the histogram was counted
    mean = sum(s * w for s, w in ordered) / size
    return sum(w * (s - mean) ** 2 for s, w in ordered) / (size - 1)


def nps_change(current: NpsSummary, previous: NpsSummary) -> Change:
    """Change in NPS points; z-test on the difference using both periods' variances (unpooled)."""
    if current.value is None or previous.value is None:
        return Change(None, False)
    diff = current.value - previous.value
    if current.n < 2 or previous.n < 2 or current.variance is None or previous.variance is None:
        return Change(diff, False)
    se = math.sqrt(current.variance + previous.variance) * 100
    return Change(diff, se > 0 and abs(diff) / se > Z95)


@dataclass(frozen=True, slots=True)
class NpsDifference:
    """NPS of one group minus another's (points), with the normal 95 % interval of the difference (None when a group
    has fewer than 2 answers) and the z-test of nps_change."""

    first: NpsSummary
    second: NpsSummary
    value: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool


def nps_difference(first: Histogram, second: Histogram) -> NpsDifference:
    """Compare two independent groups' NPS (e.g. comments with a theme vs without it): unpooled variances."""
    a, b = nps(first), nps(second)
    change = nps_change(a, b)
    if change.value is None or a.variance is None or b.variance is None or a.n < 2 or b.n < 2:
        return NpsDifference(a, b, change.value, None, None, change.significant)
    half = Z95 * math.sqrt(a.variance + b.variance) * 100
    return NpsDifference(a, b, change.value, change.value - half, change.value + half, change.significant)


def proportion_change(current_successes: int, current_n: int, previous_successes: int, previous_n: int) -> Change:
    """Change in percentage points; pooled two-proportion z-test."""
    if current_n == 0 or previous_n == 0:
        return Change(None, False)
    p1, p0 = current_successes / current_n, previous_successes / previous_n
    diff = (p1 - p0) * 100
    if current_n < 2 or previous_n < 2:
        return Change(diff, False)
    pooled = (current_successes + previous_successes) / (current_n + previous_n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / current_n + 1 / previous_n))
    return Change(diff, se > 0 and abs(p1 - p0) / se > Z95)


def csat_change(current: CsatSummary, previous: CsatSummary) -> Change:
    """Change in CSAT points (pooled two-proportion z-test)."""
    return proportion_change(current.satisfied, current.n, previous.satisfied, previous.n)


def ces_change(current: CesSummary, previous: CesSummary) -> Change:
    """Change in the CES mean; Welch's t-test with Welch-Satterthwaite degrees of freedom."""
    if current.value is None or previous.value is None:
        return Change(None, False)
    diff = current.value - previous.value
    if current.sample_variance is None or previous.sample_variance is None:
        return Change(diff, False)
    return Change(
        diff, welch_significant(diff, current.sample_variance, current.n, previous.sample_variance, previous.n)
    )


def welch_significant(diff: float, var1: float, n1: int, var0: float, n0: int) -> bool:
    """Two-sided Welch t-test at 5% for a difference of means with sample variances var1, var0."""
    a, b = var1 / n1, var0 / n0
    se2 = a + b
    if se2 <= 0:
        return False  # both periods constant: the test is undefined, so nothing is called significant
    df = se2 * se2 / (a * a / (n1 - 1) + b * b / (n0 - 1))
    t = abs(diff) / math.sqrt(se2)
    return 2 * (1 - t_cdf(t, df)) < ALPHA


# Student t distribution without scipy: the CDF via the regularised incomplete beta function (continued fraction,
# Numerical Recipes 6.4), the quantile by Newton steps on the CDF from the normal quantile.


def _betacf(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` (> 0, may be fractional) degrees of freedom."""
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def _t_pdf(t: float, df: float) -> float:
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The p-quantile (0.5 <= p < 1) of Student's t with `df` degrees of freedom."""
    if not 0.5 <= p < 1 or df <= 0:
        raise ValueError("t_quantile needs 0.5 <= p < 1 and df > 0")
    t = NormalDist().inv_cdf(p)
    low, high = 0.0, math.inf
    for _ in range(200):
        error = t_cdf(t, df) - p
        if abs(error) < 1e-14:
            break
        if error > 0:
            high = min(high, t)
        else:
            low = max(low, t)
        step = error / _t_pdf(t, df)
        candidate = t - step
        # Newton can overshoot in the heavy tails at small df; fall back to bisection inside the bracket.
        if not low < candidate < high:
            candidate = (low + high) / 2 if math.isfinite(high) else max(2 * t, t + 1)
        t = candidate
    return t
