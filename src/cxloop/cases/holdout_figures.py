"""The statistics of the holdout report, pure (no database): two arms compared on a proportion (churn) and on a mean
(the next score), each with its 95 % interval, the difference with its 95 % interval and a two-sided test
(docs/cases.md "Holdout").

- Churn: each arm's rate with its Wilson interval; the difference (followed up minus held out, in points) with
  Newcombe's hybrid score interval (from the two Wilson intervals); Fisher's exact test, two-sided (the tables at
  most as likely as the one seen), exact at any n.
- Score: each arm's mean with its Student t interval; the difference with Welch's interval (Welch-Satterthwaite
  degrees of freedom) and Welch's t-test.
- Fewer than MIN_PER_ARM customers in either arm: the figures are given, and the sentence says there is not enough
  data.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from cxloop.analytics.stats import ALPHA, t_cdf, t_quantile, wilson_interval

MIN_PER_ARM = 30


@dataclass(frozen=True)
class Arm:
    n: int
    value: float | None  # percent (churn) or mean score
    interval: tuple[float, float] | None
    events: int | None = None


@dataclass(frozen=True)
class Compared:
    followed_up: Arm
    held_out: Arm
    difference: float | None
    interval: tuple[float, float] | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    @property
    def enough_data(self) -> bool:
        return min(self.followed_up.n, self.held_out.n) >= MIN_PER_ARM


def rate(events: int, n: int) -> Arm:
    return Arm(n, events / n * 100 if n else None, wilson_interval(events, n), events)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p of Fisher's exact test for the table [[a, b], [c, d]]: the probability, with the margins fixed,
    of the tables at most as likely as this one (a relative tolerance of 1e-7 keeps ties, as SciPy does)."""
    row1, col1, n = a + b, a + c, a + b + c + d
    if n == 0:
        return 1.0
    total = math.comb(n, col1)

    def probability(x: int) -> float:
        return math.comb(row1, x) * math.comb(n - row1, col1 - x) / total

    seen = probability(a)
    low, high = max(0, col1 - (n - row1)), min(row1, col1)
    p = sum(q for q in (probability(x) for x in range(low, high + 1)) if q <= seen * (1 + 1e-7))
    return min(p, 1.0)


def compare_rates(followed: tuple[int, int], held: tuple[int, int]) -> Compared:
    """(events, n) of each arm: rates, their difference in points with Newcombe's interval, Fisher's exact p."""
    (x1, n1), (x2, n2) = followed, held
    one, two = rate(x1, n1), rate(x2, n2)
    if not n1 or not n2 or one.value is None or two.value is None:
        return Compared(one, two, None, None, None)
    difference = one.value - two.value
    interval = None
    if one.interval is not None and two.interval is not None:
        p1, p2 = one.value, two.value
        (l1, u1), (l2, u2) = one.interval, two.interval
        interval = (
            difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
        )
    return Compared(one, two, difference, interval, fisher_exact(x1, n1 - x1, x2, n2 - x2))


def mean(values: Sequence[float]) -> Arm:
    n = len(values)
    if n == 0:
        return Arm(0, None, None)
    centre = statistics.fmean(values)
    if n < 2:
        return Arm(n, centre, None)
    half = t_quantile(0.975, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return Arm(n, centre, (centre - half, centre + half))


def compare_means(followed: Sequence[float], held: Sequence[float]) -> Compared:
    """Means of each arm, their difference with Welch's 95 % interval and Welch's two-sided t-test p."""
    one, two = mean(followed), mean(held)
    if one.value is None or two.value is None:
        return Compared(one, two, None, None, None)
    difference = one.value - two.value
    if one.n < 2 or two.n < 2:
        return Compared(one, two, difference, None, None)
    a, b = statistics.variance(followed) / one.n, statistics.variance(held) / two.n
    se2 = a + b
    if se2 <= 0:
        return Compared(one, two, difference, None, None)  # both arms constant: the test is undefined
    df = se2 * se2 / (a * a / (one.n - 1) + b * b / (two.n - 1))
    half = t_quantile(0.975, df) * math.sqrt(se2)
    p = 2 * (1 - t_cdf(abs(difference) / math.sqrt(se2), df))
    return Compared(one, two, difference, (difference - half, difference + half), min(max(p, 0.0), 1.0))


def sentence(what: str, unit: str, compared: Compared, test: str) -> str:
    """The comparison in plain words."""
    one, two = compared.followed_up, compared.held_out
    if not compared.enough_data:
        return f"{what}: not enough data: need n >= {MIN_PER_ARM} per arm (followed up {one.n}, held out {two.n})."
    if compared.difference is None or compared.p_value is None or one.value is None or two.value is None:
        return f"{what}: cannot be compared (no spread in either arm)."
    low, high = compared.interval or (math.nan, math.nan)
    verdict = "a significant difference" if compared.significant else "no significant difference"
    return (
        f"{what}: {one.value:.1f}{unit} followed up vs {two.value:.1f}{unit} held out; difference "
        f"{compared.difference:+.1f} (95 % CI {low:+.1f} to {high:+.1f}), {test} p = {compared.p_value:.3f}: {verdict}."
    )
