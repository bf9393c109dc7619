"""The pure statistics of the outcome analyses (analytics/outcomes/effects.py, bands.py): values against
reference formulas and libraries, and the coverage of the intervals by simulation."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats as sp

from cxloop.analytics.enums import MetricKind
from cxloop.analytics.outcomes import bands, effects
from cxloop.surveys.scales import SCALES


def test_every_score_of_every_scale_is_in_exactly_one_band() -> None:
    for kind, found in bands.BANDS.items():
        low, high = SCALES[kind.value]
        covered = [score for band in found for score in range(band.low, band.high + 1)]
        assert covered == list(range(low, high + 1)), kind
    assert bands.band_of(MetricKind.nps, 6) == "detractor" and bands.band_of(MetricKind.ces, 5) == "easy"
    with pytest.raises(ValueError, match="off the scale"):
        bands.band_of(MetricKind.csat, 0)


def test_risk_ratio_is_katz() -> None:
    ratio = effects.risk_ratio(45, 150, 15, 150)
    se = math.sqrt(1 / 45 - 1 / 150 + 1 / 15 - 1 / 150)
    assert ratio.value == pytest.approx(3.0)
    assert ratio.ci_low == pytest.approx(math.exp(math.log(3) - 1.959964 * se), rel=1e-6)
    assert ratio.ci_high == pytest.approx(math.exp(math.log(3) + 1.959964 * se), rel=1e-6)
    assert ratio.p_value < 0.001
    zero = effects.risk_ratio(5, 40, 0, 40)  # half a count added: finite, and not called significant on 5 vs 0 alone
    assert math.isfinite(zero.value) and math.isfinite(zero.ci_high) and zero.ci_low > 0
    with pytest.raises(ValueError):
        effects.risk_ratio(0, 0, 1, 3)


def test_spearman_matches_scipy_and_its_interval_covers() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    y = np.clip(np.round(3 - x + rng.normal(size=200)), 1, 5)
    found = effects.spearman(list(x), list(y))
    assert found is not None
    assert found.rho == pytest.approx(sp.spearmanr(x, y).statistic)
    assert found.ci_low < found.rho < found.ci_high < 0
    assert effects.spearman([1, 2, 3], [1, 2, 3]) is None and effects.spearman([1, 1, 1, 1], [1, 2, 3, 4]) is None
    # Coverage under no association, with 1-5 ties: the 95% interval holds 0 in about 95% of samples.
    misses = 0
    for _ in range(400):
        a = rng.exponential(size=60)
        b = rng.integers(1, 6, size=60)
        result = effects.spearman(list(a), list(b))
        assert result is not None
        misses += not result.ci_low <= 0 <= result.ci_high
    assert misses / 400 < 0.08


def test_quantile_intervals_cover_the_true_median_and_p90() -> None:
    rng = random.Random(5)
    for q, truth in ((0.5, math.log(2)), (0.9, math.log(10))):  # exponential(1) quantiles
        held = 0
        for _ in range(400):
            values = sorted(rng.expovariate(1) for _ in range(80))
            _, low, high = effects.quantile_interval(values, q)
            assert low is not None and high is not None
            held += low <= truth <= high
        assert held / 400 >= 0.92, q
    assert effects.quantile_interval([1.0, 2.0, 3.0], 0.9)[1:] == (None, None)  # n = 3 cannot reach 95%


def test_mean_interval_is_student_t() -> None:
    values = [3.0, 5.0, 8.0, 13.0]
    mean, low, high = effects.mean_interval(4, sum(values), sum(v * v for v in values))
    reference = sp.t.interval(0.95, 3, loc=np.mean(values), scale=sp.sem(values))
    assert mean == pytest.approx(7.25) and (low, high) == pytest.approx(reference)
    assert effects.mean_interval(1, 5.0, 25.0) == (5.0, None, None)


def test_bins_are_per_value_when_few_and_quantiles_else() -> None:
    assert effects.bin_edges([0, 1, 1, 2, 0], 5) == [0.0, 1.0, 2.0]
    edges = effects.bin_edges([float(v) for v in range(100)], 4)
    assert edges == pytest.approx([0, 24.75, 49.5, 74.25])
    assert [effects.bin_index(edges, v) for v in (0, 24.75, 60, 99, -3)] == [0, 1, 2, 3, 0]
    assert effects.bin_edges([0.0] * 50 + [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3) == [0.0, 1.0, 2.0]  # mostly zero
