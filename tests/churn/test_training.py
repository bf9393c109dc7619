"""The model's arithmetic without a database: the bootstrap AUC is scikit-learn's, a stored model scores as the
fitted one, the calibration table counts every row, factors are coefficient x standardised value."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from cxloop.churn import training
from cxloop.churn.features import NAMES


def _data(n: int = 2_000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(NAMES)))
    x[:, NAMES.index("nps_last")] = rng.integers(0, 11, n)
    x[rng.random(n) < 0.2, NAMES.index("csat_last")] = np.nan  # never answered: filled with the median
    logits = -2 + 1.5 * x[:, NAMES.index("tickets_recent")]
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(np.int8)
    return x, y


def test_the_weighted_auc_is_scikit_learns_with_ties() -> None:
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 5, 500).astype(float)  # many ties
    y = (rng.random(500) < 0.3).astype(float)
    assert abs(training._auc(training._ranked(scores), y, np.ones(500)) - roc_auc_score(y, scores)) < 1e-12


def test_a_stored_model_scores_as_the_fitted_one_and_names_its_factor() -> None:
    x, y = _data()
    fitted = training.fit(x, y)
    restored = training.Fitted.from_params(fitted.to_params())
    assert np.allclose(fitted.probabilities(x), restored.probabilities(x))
    assert fitted.calibration["method"] == "isotonic"  # 25% of 2,000 rows hold well over 50 churned
    contributions = fitted.contributions(x)
    assert np.allclose(contributions, fitted.standardised(x) * fitted.coefs)
    factors = training.top_factors(fitted, x)
    high = int(np.argmax(x[:, NAMES.index("tickets_recent")]))
    assert factors[high][0]["feature"] == "tickets_recent"
    assert all(f["contribution"] > 0 for row in factors for f in row)


def test_evaluation_on_unseen_rows_and_its_calibration_table() -> None:
    x, y = _data()
    holdout_x, holdout_y = _data(seed=4)
    result = training.evaluate(training.fit(x, y), holdout_x, holdout_y, base_rate=float(y.mean()))
    assert result.auc.low < result.auc.value < result.auc.high
    assert result.auc.value > 0.75 and result.better_than_baseline
    assert sum(b.n for b in result.bins) == len(holdout_y)
    for b in result.bins:
        if b.n:
            assert b.observed_low is not None and b.observed_high is not None
            assert b.observed_low <= (b.observed or 0) <= b.observed_high
            assert b.low <= (b.predicted or 0) <= b.high


def test_few_churned_in_validation_calibrate_with_a_logistic_curve() -> None:
    x, y = _data(n=300)
    assert training.fit(x, y).calibration["method"] == "sigmoid"
