"""analytics/stats.py against scipy.stats and statsmodels: the hand-written maths must agree with the libraries.

cxloop computes its intervals without scipy at run time (a light install); these tests are what keeps that honest.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sp
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from statsmodels.stats.weightstats import DescrStatsW

from cxloop.analytics import stats
from tests.analytics.test_stats import expand, histograms

EDGE = 1e-6  # p-values this close to 5% may fall either side through rounding; the tests skip the decision there


def test_the_normal_quantile_is_scipys() -> None:
    assert math.isclose(stats.Z95, sp.norm.ppf(0.975), rel_tol=1e-15)


@given(st.integers(0, 2000), st.integers(2, 2000))
def test_wilson_interval_matches_statsmodels(successes: int, n: int) -> None:
    successes = min(successes, n)
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    interval = stats.wilson_interval(successes, n)
    assert interval is not None
    assert interval[0] == pytest.approx(low * 100, abs=1e-9)
    assert interval[1] == pytest.approx(high * 100, abs=1e-9)


# The continued fraction loses digits as df grows, and most right next to t = 0 (where 1 - df/(df + t^2) rounds
# away: 3e-6 at df = 10^6, t = 1e-4). Where a 5% test decides (|t| of a few tenths and more) the CDF stays within
# 1e-9 up to a million degrees of freedom; next to 0 the p-value is about 1 and nothing depends on the last digits.


@given(st.floats(0.5, 0.9999), st.floats(0.05, 1e6))
def test_t_quantile_matches_scipy(p: float, df: float) -> None:
    assert stats.t_quantile(p, df) == pytest.approx(sp.t.ppf(p, df), rel=1e-8, abs=1e-7)


@given(st.floats(-50, 50), st.floats(0.05, 1e6))
def test_t_cdf_matches_scipy(t: float, df: float) -> None:
    assert stats.t_cdf(t, df) == pytest.approx(sp.t.cdf(t, df), abs=1e-9 if abs(t) >= 0.25 else 1e-5)


@given(histograms(1, 7))
def test_ces_interval_is_statsmodels_t_interval(hist: dict[int, int]) -> None:
    scores = expand(hist)
    result = stats.ces(hist)
    n = len(scores)
    if n == 0:
        assert result.ci_low is None
        return
    if n >= 2:
        described = DescrStatsW(np.array(scores, dtype=float))
        assert result.sample_variance == pytest.approx(described.var * n / (n - 1), abs=1e-12)
    # The interval's variance: the answers plus half an answer at 1 and at 7 (weighted, ddof 1 on the total weight).
    augmented = DescrStatsW(np.array([*scores, 1, 7], dtype=float), weights=[1.0] * n + [0.5, 0.5], ddof=1)
    half = sp.t.ppf(0.975, max(n - 1, 1)) * math.sqrt(augmented.var / n)
    mean = float(np.mean(scores))
    assert result.ci_low == pytest.approx(max(1.0, mean - half), abs=1e-9)
    assert result.ci_high == pytest.approx(min(7.0, mean + half), abs=1e-9)


@given(histograms(1, 5))
def test_csat_interval_matches_statsmodels(hist: dict[int, int]) -> None:
    result = stats.csat(hist)
    if result.n == 0:
        assert result.ci_low is None
        return
    low, high = proportion_confint(result.satisfied, result.n, method="wilson")
    assert (result.ci_low, result.ci_high) == (pytest.approx(low * 100, abs=1e-9), pytest.approx(high * 100, abs=1e-9))


@given(histograms(0, 10))
def test_nps_variance_is_the_multinomial_delta_method(hist: dict[int, int]) -> None:
    result = stats.nps(hist)
    if result.n == 0:
        return
    n, p, d = result.n, result.promoters / result.n, result.detractors / result.n
    # NPS = p - d with (p, d) multinomial: var = [p(1-p) + d(1-d) + 2pd] / n (the covariance of p and d is -pd/n).
    assert result.variance == pytest.approx((p * (1 - p) + d * (1 - d) + 2 * p * d) / n, abs=1e-15)
    signs = np.array([1 if s >= 9 else -1 if s <= 6 else 0 for s in expand(hist)], dtype=float)
    assert result.variance == pytest.approx(np.var(signs) / n, abs=1e-15)
    # The interval: a normal one on the adjusted shares (3/4 of an answer added to each category).
    total = n + 2.25
    pa, da = (result.promoters + 0.75) / total, (result.detractors + 0.75) / total
    low, high = sp.norm.interval(0.95, loc=(pa - da) * 100, scale=math.sqrt((pa + da - (pa - da) ** 2) / total) * 100)
    low, high = min(max(-100, low), result.value), max(min(100, high), result.value)
    assert (result.ci_low, result.ci_high) == (pytest.approx(low), pytest.approx(high))


@pytest.mark.parametrize(
    "hist",
    [{10: 30, 9: 20, 8: 25, 5: 15, 0: 10}, {10: 5, 7: 3, 2: 4}, {9: 200, 8: 150, 6: 150}, {10: 48, 0: 2}],
)
def test_nps_standard_error_agrees_with_a_bootstrap(hist: dict[int, int]) -> None:
    signs = np.array([1 if s >= 9 else -1 if s <= 6 else 0 for s in expand(hist)], dtype=float)
    result = stats.nps(hist)
    assert result.variance is not None
    boot = sp.bootstrap((signs,), np.mean, n_resamples=4000, method="percentile", rng=np.random.default_rng(7))
    assert math.sqrt(result.variance) == pytest.approx(boot.standard_error, rel=0.06)


@given(st.integers(0, 300), st.integers(2, 300), st.integers(0, 300), st.integers(2, 300))
def test_proportion_change_is_statsmodels_pooled_z_test(s1: int, n1: int, s0: int, n0: int) -> None:
    s1, s0 = min(s1, n1), min(s0, n0)
    change = stats.proportion_change(s1, n1, s0, n0)
    assert change.value == pytest.approx((s1 / n1 - s0 / n0) * 100)
    pooled = (s1 + s0) / (n1 + n0)
    if pooled in (0.0, 1.0):  # no variance at all: the test is undefined, nothing is significant
        assert not change.significant
        return
    _, p_value = proportions_ztest([s1, s0], [n1, n0])
    if abs(p_value - 0.05) > EDGE:
        assert change.significant == (p_value < 0.05)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy, on near-constant samples
@settings(max_examples=200)
@given(histograms(1, 7, 30), histograms(1, 7, 30))
def test_ces_change_is_scipys_welch_test(current: dict[int, int], previous: dict[int, int]) -> None:
    x, y = np.array(expand(current), dtype=float), np.array(expand(previous), dtype=float)
    change = stats.ces_change(stats.ces(current), stats.ces(previous))
    if len(x) < 2 or len(y) < 2 or (np.var(x) == 0 and np.var(y) == 0):
        assert not change.significant
        return
    p_value = sp.ttest_ind(x, y, equal_var=False).pvalue
    if abs(p_value - 0.05) > EDGE:
        assert change.significant == (p_value < 0.05)


@given(histograms(0, 10, 60), histograms(0, 10, 60))
def test_nps_change_is_a_two_sided_z_test(current: dict[int, int], previous: dict[int, int]) -> None:
    a, b = stats.nps(current), stats.nps(previous)
    change = stats.nps_change(a, b)
    if a.n < 2 or b.n < 2 or a.variance is None or b.variance is None or a.variance + b.variance == 0:
        assert not change.significant
        return
    assert a.value is not None and b.value is not None
    z = (a.value - b.value) / (math.sqrt(a.variance + b.variance) * 100)
    p_value = 2 * sp.norm.sf(abs(z))
    if abs(p_value - 0.05) > EDGE:
        assert change.significant == (p_value < 0.05)
