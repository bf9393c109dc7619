"""The metric maths against hand-worked examples and a plain reference computed from the expanded list of scores."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxloop.analytics import stats

Z = 1.959963984540054


def expand(hist: dict[int, int]) -> list[int]:
    return [score for score, count in sorted(hist.items()) for _ in range(count)]


def histograms(low: int, high: int, max_count: int = 40) -> st.SearchStrategy[dict[int, int]]:
    return st.dictionaries(st.integers(low, high), st.integers(0, max_count), max_size=high - low + 1)


def adjusted_nps(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    """The adjusted Wald interval as docs/metrics.md defines it: 3/4 of an answer added to each category, centred
    on the adjusted NPS, clipped to -100..100, widened to hold the observed NPS."""
    total = n + 2.25
    p, d = (promoters + 0.75) / total, (detractors + 0.75) / total
    half = Z * math.sqrt((p + d - (p - d) ** 2) / total) * 100
    observed = (promoters - detractors) / n * 100
    return min(max(-100.0, (p - d) * 100 - half), observed), max(min(100.0, (p - d) * 100 + half), observed)


def adjusted_ces(scores: list[int]) -> tuple[float, float]:
    """The CES interval: t (df n - 1, at least 1) on the variance of the answers plus 1/2 an answer at 1 and 7."""
    n = len(scores)
    weighted = [(s, 1.0) for s in scores] + [(1, 0.5), (7, 0.5)]
    size = n + 1
    centre = sum(s * w for s, w in weighted) / size
    variance = sum(w * (s - centre) ** 2 for s, w in weighted) / (size - 1)
    half = stats.t_quantile(0.975, max(n - 1, 1)) * math.sqrt(variance / n)
    mean = statistics.fmean(scores)
    return max(1.0, mean - half), min(7.0, mean + half)


# ---- hand-worked examples ------------------------------------------------------------------------------------


def test_nps_hand_worked() -> None:
    # 5 promoters, 3 passives, 2 detractors out of 10: NPS = 50% - 20% = 30; var = (0.5 + 0.2 - 0.3^2) / 10 = 0.061.
    # Interval: n' = 12.25, p' = 5.75 / 12.25, d' = 2.75 / 12.25, centre 24.49, var' = (p' + d' - (p' - d')^2) / n'
    result = stats.nps({10: 3, 9: 2, 8: 2, 7: 1, 6: 1, 0: 1})
    assert (result.n, result.promoters, result.passives, result.detractors) == (10, 5, 3, 2)
    assert result.value == pytest.approx(30.0)
    assert result.variance == pytest.approx(0.061)
    p, d = 5.75 / 12.25, 2.75 / 12.25
    adjusted = (p + d - (p - d) ** 2) / 12.25
    assert result.adjusted_variance == pytest.approx(adjusted)
    assert result.ci_low == pytest.approx((p - d) * 100 - Z * math.sqrt(adjusted) * 100)
    assert result.ci_high == pytest.approx((p - d) * 100 + Z * math.sqrt(adjusted) * 100)


def test_nps_interval_is_clipped_to_the_scale() -> None:
    result = stats.nps({10: 3, 0: 1})
    assert result.value == pytest.approx(50.0)
    # p' = 3.75 / 6.25 = 0.6, d' = 1.75 / 6.25 = 0.28: 32 + 1.96 * sqrt((0.88 - 0.1024) / 6.25) * 100 = 101.1 clipped
    assert result.ci_high == 100.0
    assert result.ci_low == pytest.approx(32 - Z * math.sqrt((0.88 - 0.32**2) / 6.25) * 100)


def test_csat_hand_worked_wilson() -> None:
    # 8 of 10 satisfied: Wilson centre (0.8 + 1.92/20)/(1 + 3.84/10) etc. (z = 1.96 rounded in the comment only)
    result = stats.csat({5: 5, 4: 3, 2: 1, 1: 1})
    assert (result.n, result.satisfied) == (10, 8)
    assert result.value == pytest.approx(80.0)
    assert result.mean == pytest.approx((25 + 12 + 2 + 1) / 10)
    assert result.ci_low == pytest.approx(49.0162, abs=1e-3)  # textbook Wilson interval for 8/10
    assert result.ci_high == pytest.approx(94.3318, abs=1e-3)


def test_ces_hand_worked_t_interval() -> None:
    # scores 7, 6, 5, 4, 3: mean 5, sample variance 2.5, t(0.975, 4) = 2.776445. The interval's variance adds half
    # an answer at 1 and at 7: 6 answers' weight, mean 29/6, squared deviations / 5.
    result = stats.ces({7: 1, 6: 1, 5: 1, 4: 1, 3: 1})
    assert result.value == pytest.approx(5.0)
    assert result.sample_variance == pytest.approx(2.5)
    centre = 29 / 6
    squares = sum((s - centre) ** 2 for s in (7, 6, 5, 4, 3)) + 0.5 * (1 - centre) ** 2 + 0.5 * (7 - centre) ** 2
    half = 2.7764451051977987 * math.sqrt(squares / 5 / 5)
    assert 5 + half > 7  # so the top is clipped to the scale
    assert (result.ci_low, result.ci_high) == (pytest.approx(5 - half), 7.0)
    assert (result.easy, result.easy_pct) == (3, pytest.approx(60.0))


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        (1, 12.706204736174707),
        (2, 4.302652729749464),
        (4, 2.7764451051977987),
        (10, 2.2281388519862744),
        (30, 2.0422724563012373),
        (1000, 1.9623390808264078),
    ],
)
def test_t_quantile_matches_tables(df: int, expected: float) -> None:
    assert stats.t_quantile(0.975, df) == pytest.approx(expected, rel=1e-9)


def test_t_cdf_known_values() -> None:
    assert stats.t_cdf(0.0, 3) == pytest.approx(0.5)
    assert stats.t_cdf(2.0, 5) == pytest.approx(0.9490302605850709, rel=1e-10)
    assert stats.t_cdf(-2.0, 5) == pytest.approx(1 - 0.9490302605850709, rel=1e-9)
    # df = 1 is the Cauchy distribution: P(T <= t) = 1/2 + atan(t)/pi
    assert stats.t_cdf(1.7, 1) == pytest.approx(0.5 + math.atan(1.7) / math.pi, rel=1e-12)


def test_small_n_rules() -> None:
    empty = stats.nps({})
    assert (empty.n, empty.value, empty.ci_low) == (0, None, None)
    one = stats.nps({9: 1})
    assert (one.value, one.ci_low, one.ci_high) == (100.0, pytest.approx(adjusted_nps(1, 0, 1)[0]), 100.0)
    assert stats.csat({5: 1}).ci_low == pytest.approx(100 / (1 + Z * Z))  # Wilson for 1 of 1
    assert (stats.ces({3: 1}).ci_low, stats.ces({3: 1}).ci_high) == (1.0, 7.0)  # t with 1 df: the whole scale
    assert stats.ces({3: 1}).value == 3.0 and stats.ces({3: 1}).sample_variance is None
    assert stats.nps_change(one, stats.nps({0: 5})) == stats.Change(200.0, False)
    assert stats.nps_change(stats.nps({}), one) == stats.Change(None, False)


def test_out_of_scale_scores_are_refused() -> None:
    with pytest.raises(ValueError, match="outside 0-10"):
        stats.nps({11: 1})
    with pytest.raises(ValueError, match="outside 1-5"):
        stats.csat({0: 2})
    with pytest.raises(ValueError, match="outside 1-7"):
        stats.ces({8: 2})


def test_changes_hand_worked() -> None:
    before = stats.nps({10: 20, 5: 20})  # 0 with n=40
    after = stats.nps({10: 35, 5: 5})  # 75 with n=40
    change = stats.nps_change(after, before)
    assert change.value == pytest.approx(75.0)
    assert change.significant
    assert not stats.nps_change(stats.nps({10: 3, 5: 2}), stats.nps({10: 2, 5: 3})).significant
    # two-proportion z-test: 45/50 vs 30/50, pooled p = 0.75, z = 0.3 / sqrt(0.1875 * 0.04) = 3.46
    assert stats.proportion_change(45, 50, 30, 50) == stats.Change(pytest.approx(30.0), True)
    assert not stats.proportion_change(26, 50, 24, 50).significant
    # Welch: identical spreads, means 1 apart with n=3 each -> t = 1.22, not significant
    assert not stats.ces_change(stats.ces({4: 1, 5: 1, 6: 1}), stats.ces({3: 1, 4: 1, 5: 1})).significant
    assert stats.ces_change(stats.ces({6: 30, 7: 30}), stats.ces({2: 30, 3: 30})).significant
    # both periods constant: the test is undefined, nothing is called significant
    assert stats.ces_change(stats.ces({7: 5}), stats.ces({1: 5})) == stats.Change(6.0, False)


# ---- properties against a plain reference --------------------------------------------------------------------


@given(histograms(0, 10))
def test_nps_matches_the_expanded_reference(hist: dict[int, int]) -> None:
    scores = expand(hist)
    result = stats.nps(hist)
    assert result.n == len(scores)
    if not scores:
        assert result.value is None
        return
    signs = [1 if s >= 9 else -1 if s <= 6 else 0 for s in scores]
    assert result.promoters == signs.count(1) and result.detractors == signs.count(-1)
    assert result.value == pytest.approx(statistics.fmean(signs) * 100, abs=1e-9)
    variance = statistics.pvariance(signs) / len(signs)  # per-answer variance of +1/0/-1, over n
    assert result.variance == pytest.approx(variance, abs=1e-12)
    low, high = adjusted_nps(signs.count(1), signs.count(-1), len(signs))
    assert result.ci_low == pytest.approx(low, abs=1e-9)
    assert result.ci_high == pytest.approx(high, abs=1e-9)
    assert -100 <= result.ci_low <= result.value <= result.ci_high <= 100
    assert result.ci_high > result.ci_low


@given(histograms(1, 5))
def test_csat_matches_the_expanded_reference(hist: dict[int, int]) -> None:
    scores = expand(hist)
    result = stats.csat(hist)
    if not scores:
        assert result.value is None and result.n == 0
        return
    n = len(scores)
    satisfied = sum(s >= 4 for s in scores)
    assert result.value == pytest.approx(satisfied / n * 100)
    assert result.mean == pytest.approx(statistics.fmean(scores))
    p = satisfied / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    assert result.ci_low == pytest.approx((centre - half) * 100, abs=1e-9)
    assert result.ci_high == pytest.approx((centre + half) * 100, abs=1e-9)
    assert 0 <= result.ci_low <= result.value <= result.ci_high <= 100


@given(histograms(1, 7))
def test_ces_matches_the_expanded_reference(hist: dict[int, int]) -> None:
    scores = expand(hist)
    result = stats.ces(hist)
    if not scores:
        assert result.value is None
        return
    n = len(scores)
    assert result.value == pytest.approx(statistics.fmean(scores))
    assert result.easy == sum(s >= 5 for s in scores)
    low, high = adjusted_ces(scores)
    assert result.ci_low == pytest.approx(low, abs=1e-9)
    assert result.ci_high == pytest.approx(high, abs=1e-9)
    assert result.ci_high > result.ci_low
    if n < 2:
        assert result.sample_variance is None
        return
    assert result.sample_variance == pytest.approx(statistics.variance(scores), abs=1e-12)


@given(st.floats(0.5, 0.9999), st.floats(0.3, 500))
def test_t_quantile_inverts_the_cdf(p: float, df: float) -> None:
    assert stats.t_cdf(stats.t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


@given(histograms(0, 10, 60), histograms(0, 10, 60))
def test_nps_change_is_the_z_test_on_the_difference(current: dict[int, int], previous: dict[int, int]) -> None:
    a, b = stats.nps(current), stats.nps(previous)
    change = stats.nps_change(a, b)
    if a.value is None or b.value is None:
        assert change == stats.Change(None, False)
        return
    assert change.value == pytest.approx(a.value - b.value)
    assert a.variance is not None and b.variance is not None
    se = math.sqrt(a.variance + b.variance) * 100
    expected = a.n >= 2 and b.n >= 2 and se > 0 and abs(a.value - b.value) / se > Z
    assert change.significant == expected


@given(histograms(1, 7, 30), histograms(1, 7, 30))
def test_ces_change_is_welch(current: dict[int, int], previous: dict[int, int]) -> None:
    x, y = expand(current), expand(previous)
    change = stats.ces_change(stats.ces(current), stats.ces(previous))
    if len(x) < 2 or len(y) < 2:
        assert not change.significant
        return
    vx, vy = statistics.variance(x) / len(x), statistics.variance(y) / len(y)
    if vx + vy == 0:
        assert not change.significant
        return
    t = (statistics.fmean(x) - statistics.fmean(y)) / math.sqrt(vx + vy)
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    p_value = 2 * (1 - stats.t_cdf(abs(t), df))
    # Away from the 5% edge the decision is unambiguous.
    if abs(p_value - 0.05) > 1e-9:
        assert change.significant == (p_value < 0.05)
    if df > 200:  # large samples: Welch's t is close to the normal z
        assert abs(p_value - 2 * (1 - statistics.NormalDist().cdf(abs(t)))) < 0.01
