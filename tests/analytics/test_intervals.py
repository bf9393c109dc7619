"""Intervals that never collapse: widths > 0 from n = 1, and coverage near 95% over a grid of n and true shares.

NPS and CSAT coverage is computed exactly (every possible sample, weighted by its probability), CES coverage by a
seeded simulation over several answer distributions. The intervals are recomputed here from their definitions
(docs/metrics.md), never pasted from outputs.
"""

from __future__ import annotations

import math
import random
from itertools import product

import pytest

from cxloop.analytics import metrics, stats
from cxloop.analytics.enums import MetricKind

Z = 1.959963984540054
GRID = [(p, d) for p, d in product((0.05, 0.2, 0.4, 0.6, 0.8), repeat=2) if p + d <= 0.95]


def _multinomial_log(n: int, counts: tuple[int, ...], shares: tuple[float, ...]) -> float | None:
    log = math.lgamma(n + 1)
    for count, share in zip(counts, shares, strict=True):
        if share == 0 and count:
            return None
        log -= math.lgamma(count + 1)
        log += count * math.log(share) if count else 0.0
    return log


def nps_coverage(n: int, promoters: float, detractors: float) -> float:
    """Exact probability that the NPS interval holds the true NPS, over every trinomial outcome."""
    truth = (promoters - detractors) * 100
    covered = 0.0
    for p in range(n + 1):
        for d in range(n + 1 - p):
            log = _multinomial_log(n, (p, d, n - p - d), (promoters, detractors, 1 - promoters - detractors))
            if log is None:
                continue
            summary = stats.nps({10: p, 0: d, 7: n - p - d})
            assert summary.ci_low is not None and summary.ci_high is not None
            if summary.ci_low <= truth <= summary.ci_high:
                covered += math.exp(log)
    return covered


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 30, 60])
def test_nps_coverage_is_near_95_over_a_grid_of_true_shares(n: int) -> None:
    coverages = [nps_coverage(n, p, d) for p, d in GRID]
    assert 0.935 <= sum(coverages) / len(coverages) <= 0.985
    assert min(coverages) >= (0.75 if n <= 3 else 0.88)


def test_nps_interval_never_has_zero_width_and_holds_the_value() -> None:
    for n in (1, 2, 3):
        for p in range(n + 1):
            for d in range(n + 1 - p):
                summary = stats.nps({10: p, 0: d, 8: n - p - d})
                assert summary.ci_low is not None and summary.ci_high is not None and summary.value is not None
                assert summary.ci_high - summary.ci_low > 10
                assert summary.ci_low <= summary.value <= summary.ci_high


def test_nps_n2_both_promoters_is_no_longer_100_to_100() -> None:
    # 2 promoters: p' = 2.75 / 4.25, d' = 0.75 / 4.25, var' = (p' + d' - (p' - d')^2) / 4.25
    total = 4.25
    p, d = 2.75 / total, 0.75 / total
    half = Z * math.sqrt((p + d - (p - d) ** 2) / total) * 100
    summary = stats.nps({10: 2})
    assert summary.value == 100.0
    assert summary.ci_low == pytest.approx((p - d) * 100 - half)
    assert summary.ci_high == 100.0
    assert summary.ci_low < 30


def wilson_coverage(n: int, share: float) -> float:
    covered = 0.0
    for k in range(n + 1):
        interval = stats.wilson_interval(k, n)
        assert interval is not None
        if interval[0] <= share * 100 <= interval[1]:
            covered += math.comb(n, k) * share**k * (1 - share) ** (n - k)
    return covered


@pytest.mark.parametrize("n", [1, 2, 3, 10, 30, 100])
def test_csat_wilson_coverage_and_width(n: int) -> None:
    coverages = [wilson_coverage(n, share) for share in (0.05, 0.2, 0.5, 0.7, 0.9, 0.97)]
    assert sum(coverages) / len(coverages) >= 0.92
    for k in range(n + 1):
        low, high = stats.wilson_interval(k, n) or (0.0, 0.0)
        assert high - low > 0


def test_csat_at_n1_has_an_interval() -> None:
    summary = stats.csat({5: 1})
    assert summary.ci_low is not None and summary.ci_high == 100.0
    assert 0 < summary.ci_low < 50  # Wilson for 1 of 1: (1 + z^2/2 - z sqrt(z^2/4)) / (1 + z^2) = 20.65%
    assert summary.ci_low == pytest.approx(100 * 1 / (1 + Z * Z), rel=1e-9)


CES_DISTRIBUTIONS = [
    {7: 0.9, 6: 0.1},
    {1: 0.95, 2: 0.05},
    {7: 0.97, 1: 0.03},
    dict.fromkeys(range(1, 8), 1 / 7),
    {2: 0.2, 4: 0.5, 6: 0.3},
    {3: 0.1, 5: 0.6, 6: 0.2, 7: 0.1},
]


@pytest.mark.parametrize("n", [2, 3, 5, 10, 30])
def test_ces_coverage_by_simulation(n: int) -> None:
    rng = random.Random(20261206 + n)
    coverages = []
    for distribution in CES_DISTRIBUTIONS:
        scores, weights = list(distribution), list(distribution.values())
        truth = sum(s * w for s, w in distribution.items())
        hits = 0
        runs = 600
        for _ in range(runs):
            sample = rng.choices(scores, weights, k=n)
            hist: dict[int, int] = {}
            for score in sample:
                hist[score] = hist.get(score, 0) + 1
            summary = stats.ces(hist)
            assert summary.ci_low is not None and summary.ci_high is not None
            hits += summary.ci_low <= truth <= summary.ci_high
        coverages.append(hits / runs)
    assert sum(coverages) / len(coverages) >= 0.93
    assert min(coverages) >= 0.85


def test_ces_identical_answers_and_n1_keep_a_width() -> None:
    for hist in ({7: 1}, {7: 2}, {4: 3}, {1: 3}):
        summary = stats.ces(hist)
        assert summary.ci_low is not None and summary.ci_high is not None
        assert summary.ci_high - summary.ci_low > 0.5
    # {4: 20}: augmented with 1/2 at 1 and 1/2 at 7: mean 4, squares = 0.5 * 9 * 2 = 9, var = 9 / (21 - 1)
    summary = stats.ces({4: 20})
    half = stats.t_quantile(0.975, 19) * math.sqrt(9 / 20 / 20)
    assert (summary.ci_low, summary.ci_high) == (pytest.approx(4 - half), pytest.approx(4 + half))


def test_small_sample_flag_follows_the_minimum_n() -> None:
    definition = metrics.metric(MetricKind.nps)
    try:
        metrics.configure_min_n({"nps": 5})
        assert definition.fields(stats.nps({10: 4}))["small_sample"] is True
        assert definition.fields(stats.nps({10: 5}))["small_sample"] is False
        assert metrics.min_n(MetricKind.csat) == metrics.DEFAULT_MIN_N
    finally:
        metrics.configure_min_n({})
    assert definition.fields(stats.nps({10: 29}))["small_sample"] is True
    assert definition.fields(stats.nps({10: 30}))["small_sample"] is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"nsp": 10}, "'nsp' is not a metric"), ({"nps": 1}, "must be 2-1,000,000"), ({"ces": 10**7}, "2-1,000,000")],
)
def test_min_n_settings_are_checked(overrides: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        metrics.configure_min_n(overrides)
