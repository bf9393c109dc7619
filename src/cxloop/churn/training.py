"""The churn model itself, with no database: fit, calibrate, evaluate on a later snapshot, explain (docs/churn.md).

A logistic regression over standardised features, so a customer's factors are honest: each feature's contribution
to the log-odds is its coefficient times the customer's standardised value (how far from the average training
customer, in standard deviations). Probabilities are calibrated on a validation split the regression did not see:
isotonic regression when it holds enough churned customers, else a logistic (Platt) curve, which needs fewer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxloop.analytics.stats import wilson_interval
from cxloop.churn.features import FEATURES, NAMES

SEED = 13
VALIDATION_SHARE = 0.25
ISOTONIC_MIN_CHURNED = 50  # churned customers in the validation split below which the calibration curve is Platt's
BOOTSTRAP_ROUNDS = 200
BINS = 10
BIN_MIN_N = 30  # a calibration bin with fewer customers is flagged small_sample
TOP_FACTORS = 3
RULE_COLUMN = NAMES.index("nps_last")


@dataclass(frozen=True)
class Fitted:
    """A fitted model as plain arrays: what scoring needs, and what is stored (to_params) instead of a pickle."""

    medians: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    coefs: np.ndarray
    intercept: float
    calibration: dict[str, Any]  # {"method": "isotonic", "x": [...], "y": [...]} or {"method": "sigmoid", "a", "b"}

    def standardised(self, x: np.ndarray) -> np.ndarray:
        filled = np.where(np.isnan(x), self.medians, x)
        return np.asarray((filled - self.means) / self.scales)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's share of each customer's log-odds, relative to the average training customer."""
        return np.asarray(self.standardised(x) * self.coefs)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return self._calibrated(self.standardised(x) @ self.coefs + self.intercept)

    def _calibrated(self, logits: np.ndarray) -> np.ndarray:
        curve = self.calibration
        if curve["method"] == "isotonic":
            return np.asarray(np.interp(logits, np.asarray(curve["x"]), np.asarray(curve["y"])))
        return np.asarray(1.0 / (1.0 + np.exp(-(curve["a"] * logits + curve["b"]))))

    def to_params(self) -> dict[str, Any]:
        return {
            "features": list(NAMES),
            "medians": self.medians.tolist(),
            "means": self.means.tolist(),
            "scales": self.scales.tolist(),
            "coefs": self.coefs.tolist(),
            "intercept": self.intercept,
            "calibration": self.calibration,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Fitted:
        """ValueError when the stored model was trained on other features than today's registry."""
        if tuple(params["features"]) != NAMES:
            raise ValueError("the stored churn model uses other features: train it again")
        arrays = {k: np.asarray(params[k], dtype=float) for k in ("medians", "means", "scales", "coefs")}
        return cls(**arrays, intercept=float(params["intercept"]), calibration=params["calibration"])


def fit(x: np.ndarray, y: np.ndarray) -> Fitted:
    """Fit on 75% of the rows and calibrate on the other 25% (stratified, seeded: the same data gives the same
    model)."""
    from sklearn.linear_model import LogisticRegression  # here, not at import: scikit-learn costs ~0.5 s to load
    from sklearn.model_selection import train_test_split

    with np.errstate(all="ignore"):
        medians = np.nan_to_num(np.nanmedian(np.where(np.isnan(x).all(axis=0), 0.0, x), axis=0))
    x_fit, x_val, y_fit, y_val = train_test_split(x, y, test_size=VALIDATION_SHARE, stratify=y, random_state=SEED)
    filled = np.where(np.isnan(x_fit), medians, x_fit)
    means = filled.mean(axis=0)
    scales = filled.std(axis=0)
    scales[scales == 0] = 1.0
    regression = LogisticRegression(C=1.0, max_iter=1_000)
    regression.fit((filled - means) / scales, y_fit)
    coefs = regression.coef_[0]
    intercept = float(regression.intercept_[0])
    logits = (np.where(np.isnan(x_val), medians, x_val) - means) / scales @ coefs + intercept
    return Fitted(medians, means, scales, coefs, intercept, _calibration(logits, y_val))


def _calibration(logits: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    if int(y.sum()) >= ISOTONIC_MIN_CHURNED:
        curve = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(logits, y)
        return {"method": "isotonic", "x": curve.X_thresholds_.tolist(), "y": curve.y_thresholds_.tolist()}
    platt = LogisticRegression(C=1e6, max_iter=1_000).fit(logits.reshape(-1, 1), y)
    return {"method": "sigmoid", "a": float(platt.coef_[0][0]), "b": float(platt.intercept_[0])}


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    n: int
    predicted: float | None
    observed: float | None
    observed_low: float | None
    observed_high: float | None


@dataclass(frozen=True)
class Evaluation:
    """The model on a snapshot it did not train on, next to the baselines, each with a 95% bootstrap interval."""

    auc: Estimate
    brier: Estimate
    rule_auc: Estimate  # "latest NPS answer 0-6 = risky"
    base_rate: float
    base_rate_brier: float
    auc_lift: Estimate  # model AUC - rule AUC
    brier_skill: Estimate  # base-rate Brier - model Brier: > 0 when the model beats predicting the base rate
    bins: list[Bin]

    @property
    def better_than_baseline(self) -> bool:
        return self.auc_lift.low > 0 and self.brier_skill.low > 0


def evaluate(model: Fitted, x: np.ndarray, y: np.ndarray, *, base_rate: float) -> Evaluation:
    """AUC, Brier score and a 10-bin calibration table of `model` on (x, y), against the detractor rule and the
    base rate of the training rows. Intervals: Poisson bootstrap over customers (seeded)."""
    p = model.probabilities(x)
    rule = (x[:, RULE_COLUMN] <= 6).astype(float)  # NaN (never answered) compares False: not a detractor
    rng = np.random.default_rng(SEED)
    rounds = [np.ones(len(y))] + [rng.poisson(1.0, len(y)).astype(float) for _ in range(BOOTSTRAP_ROUNDS)]
    model_groups, rule_groups = _ranked(p), _ranked(rule)
    stats = np.array(
        [
            (
                _auc(model_groups, y, w),
                _auc(rule_groups, y, w),
                _mean((p - y) ** 2, w),
                _mean((base_rate - y) ** 2, w),
            )
            for w in rounds
        ]
    )
    auc, rule_auc, brier, base_brier = stats.T
    return Evaluation(
        auc=_estimate(auc),
        brier=_estimate(brier),
        rule_auc=_estimate(rule_auc),
        base_rate=base_rate,
        base_rate_brier=float(base_brier[0]),
        auc_lift=_estimate(auc - rule_auc),
        brier_skill=_estimate(base_brier - brier),
        bins=calibration_table(p, y),
    )


def _ranked(scores: np.ndarray) -> tuple[np.ndarray, int]:
    _, groups = np.unique(scores, return_inverse=True)
    return groups, int(np.max(groups)) + 1 if len(groups) else 0


def _auc(ranked: tuple[np.ndarray, int], y: np.ndarray, w: np.ndarray) -> float:
    """The weighted AUC: the chance a churned customer scores above a staying one (ties count half)."""
    groups, size = ranked
    churned = np.bincount(groups, weights=w * y, minlength=size)
    stayed = np.bincount(groups, weights=w * (1 - y), minlength=size)
    pairs = churned.sum() * stayed.sum()
    if pairs == 0:
        return math.nan
    below = np.cumsum(stayed) - stayed
    return float((churned * (below + 0.5 * stayed)).sum() / pairs)


def _mean(values: np.ndarray, w: np.ndarray) -> float:
    return float((values * w).sum() / w.sum())


def _estimate(samples: np.ndarray) -> Estimate:
    resampled = samples[1:][~np.isnan(samples[1:])]
    low, high = np.percentile(resampled, [2.5, 97.5]) if len(resampled) else (math.nan, math.nan)
    return Estimate(float(samples[0]), float(low), float(high))


def calibration_table(p: np.ndarray, y: np.ndarray) -> list[Bin]:
    """Ten equal-width bins of predicted probability: mean predicted vs observed churn rate (Wilson 95%)."""
    which = np.minimum((p * BINS).astype(int), BINS - 1)
    bins = []
    for b in range(BINS):
        inside = which == b
        n = int(inside.sum())
        churned = int(y[inside].sum())
        interval = wilson_interval(churned, n)
        bins.append(
            Bin(
                low=b / BINS,
                high=(b + 1) / BINS,
                n=n,
                predicted=float(p[inside].mean()) if n else None,
                observed=churned / n if n else None,
                observed_low=interval[0] / 100 if interval else None,
                observed_high=interval[1] / 100 if interval else None,
            )
        )
    return bins


def top_factors(model: Fitted, x: np.ndarray) -> list[list[dict[str, Any]]]:
    """Per row: up to TOP_FACTORS features that raise its risk most (positive contribution to the log-odds)."""
    contributions = model.contributions(x)
    order = np.argsort(-contributions, axis=1)[:, :TOP_FACTORS]
    found = []
    for row, columns in enumerate(order):
        found.append(
            [
                {
                    "feature": NAMES[c],
                    "label": FEATURES[NAMES[c]].label,
                    "value": None if math.isnan(x[row, c]) else round(float(x[row, c]), 3),
                    "contribution": round(float(contributions[row, c]), 4),
                }
                for c in columns
                if contributions[row, c] > 0
            ]
        )
    return found
