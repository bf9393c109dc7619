"""The least squares of analytics/drivers/regression.py: over grouped sums it equals statsmodels' OLS with HC1 errors
over the individual answers, its Shapley R² shares add up to R², and collinear columns are left out."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
import statsmodels.api as sm

from cxloop.analytics.drivers import regression


def grouped(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, regression.Sums]:
    """Rows with the same x folded into one, with count, sum and sum of squares of y."""
    keys, inverse = np.unique(x, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    w = np.bincount(inverse).astype(float)
    sy = np.bincount(inverse, weights=y)
    syy = np.bincount(inverse, weights=y * y)
    return keys.astype(float), regression.Sums(w, sy, syy)


@pytest.fixture
def answers() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = (rng.random((5_000, 4)) < [0.3, 0.5, 0.1, 0.7]).astype(float)
    noise = rng.choice([-100.0, 0.0, 100.0], size=5_000, p=[0.2, 0.3, 0.5])
    y = np.clip(noise - 40 * x[:, 0] + 10 * x[:, 2], -100, 100)
    return x, y


def test_grouped_fit_equals_ols_with_hc1_over_every_answer(answers: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = answers
    keys, sums = grouped(x, y)
    assert len(keys) <= 16
    ours = regression.fit(keys, sums)
    reference = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HC1")
    assert ours.intercept == pytest.approx(reference.params[0], abs=1e-9)
    assert ours.coefficients == pytest.approx(reference.params[1:], abs=1e-9)
    assert ours.standard_errors == pytest.approx(reference.bse[1:], rel=1e-9)
    assert ours.r2 == pytest.approx(reference.rsquared, abs=1e-12)
    assert ours.n == 5_000


def test_shapley_shares_add_up_to_r2_and_match_every_order(answers: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = answers
    keys, sums = grouped(x, y)
    families = [0, 1, 1, 2]
    shares = regression.family_shares(keys, sums, families)
    assert sum(shares.values()) == pytest.approx(regression.fit(keys, sums).r2, abs=1e-12)

    def r2(columns: list[int]) -> float:
        if not columns:
            return 0.0
        return regression.fit(keys[:, columns], sums).r2

    # Brute force: the average gain of each family over the 3! orders of adding them.
    gains = {0: 0.0, 1: 0.0, 2: 0.0}
    for order in permutations([0, 1, 2]):
        taken: list[int] = []
        for family in order:
            before = r2(taken)
            taken += [j for j, f in enumerate(families) if f == family]
            gains[family] += (r2(taken) - before) / 6
    assert shares == pytest.approx(gains, abs=1e-12)


def test_collinear_and_constant_columns_are_left_out() -> None:
    rng = np.random.default_rng(1)
    a = (rng.random(200) < 0.4).astype(float)
    b = (rng.random(200) < 0.5).astype(float)
    x = np.column_stack([a, 1 - a, b, np.ones(200), a + b])
    assert regression.independent_columns(x, np.ones(200)) == [0, 2]
