"""Comparisons, surges and the false-discovery rate against hand computations and scipy / statsmodels."""

from __future__ import annotations

import math
import random

import pytest
from scipy import stats as sp
from statsmodels.stats.multitest import multipletests

from cxloop.analytics import significance, stats


def test_nps_difference_uses_the_adjusted_trinomial_variances() -> None:
    a = stats.nps({10: 60, 8: 20, 3: 20})  # NPS 40, n 100
    b = stats.nps({10: 40, 8: 20, 3: 40})  # NPS 0, n 100

    def adjusted_se(p: int, d: int, n: int) -> float:
        total = n + 2.25
        pp, dd = (p + 0.75) / total, (d + 0.75) / total
        return math.sqrt((pp + dd - (pp - dd) ** 2) / total) * 100

    se = math.hypot(adjusted_se(60, 20, 100), adjusted_se(40, 40, 100))
    ea, eb = significance.nps_estimate(a), significance.nps_estimate(b)
    assert ea is not None and eb is not None
    result = significance.compare(ea, eb)
    assert result.difference == pytest.approx(40.0)
    assert (result.ci_low, result.ci_high) == (
        pytest.approx(40 - 1.959963984540054 * se),
        pytest.approx(40 + 1.959963984540054 * se),
    )
    assert result.p_value == pytest.approx(2 * sp.norm.sf(40 / se))
    assert result.significant and result.verdict == "significant"


def test_close_proportions_are_within_noise() -> None:
    a, b = significance.proportion_estimate(26, 50), significance.proportion_estimate(24, 50)
    assert a is not None and b is not None
    result = significance.compare(a, b)
    assert result.difference == pytest.approx(4.0)
    assert result.ci_low < 0 < result.ci_high
    assert not result.significant and result.verdict == "within noise"
    # Agresti-Caffo: p' = 27/52 and 25/52, each over n + 2
    se = math.sqrt((27 / 52) * (25 / 52) / 52 + (25 / 52) * (27 / 52) / 52) * 100
    assert result.p_value == pytest.approx(2 * sp.norm.sf(4 / se))


def test_ces_difference_is_welch_on_the_adjusted_variances() -> None:
    a, b = stats.ces({6: 20, 7: 20}), stats.ces({4: 20, 5: 20})
    ea, eb = significance.ces_estimate(a), significance.ces_estimate(b)
    assert ea is not None and eb is not None
    result = significance.compare(ea, eb)
    va, vb = ea.se**2, eb.se**2
    df = (va + vb) ** 2 / (va**2 / 39 + vb**2 / 39)
    assert result.p_value == pytest.approx(2 * sp.t.sf(2.0 / math.sqrt(va + vb), df), rel=1e-6)
    assert result.ci_high - result.difference == pytest.approx(sp.t.ppf(0.975, df) * math.sqrt(va + vb), rel=1e-6)


@pytest.mark.parametrize(("current", "baseline", "periods"), [(5, 8, 8), (30, 80, 8), (12, 10, 4), (0, 3, 2)])
def test_surge_p_value_is_the_exact_conditional_binomial(current: int, baseline: int, periods: int) -> None:
    expected = sp.binom.sf(current - 1, current + baseline, 1 / (periods + 1)) if current else 1.0
    assert significance.surge_p_value(current, baseline, periods) == pytest.approx(expected, rel=1e-9)


def test_benjamini_hochberg_matches_statsmodels() -> None:
    rng = random.Random(7)
    p_values = [rng.random() ** 3 for _ in range(200)]
    _, expected, _, _ = multipletests(p_values, alpha=0.05, method="fdr_bh")
    assert significance.benjamini_hochberg(p_values) == pytest.approx(list(expected))
