"""Weighted least squares over grouped responses: coefficients with robust 95% intervals, R², the relative
importance of feature families (Shapley R², LMG) and the pruning of collinear columns.

Pure numpy. Each row of X is one group of responses with the same features; the group brings how many responses it
holds (`w`) and the sum of their scores and of their squared scores (`sy`, `syy`). That is all least squares needs:
the fit, the residual sum of squares of every group (syy - 2·μ·sy + w·μ²) and so the sandwich covariance are exactly
those of the regression over the individual responses, without expanding them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

Z95 = 1.959963984540054
Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Sums:
    """Per group: responses, sum of scores, sum of squared scores."""

    w: Floats
    sy: Floats
    syy: Floats

    @property
    def n(self) -> float:
        return float(self.w.sum())

    def total_squares(self) -> float:
        """Sum of squared deviations of the scores from their mean."""
        n = self.n
        return float(self.syy.sum() - self.sy.sum() ** 2 / n) if n else 0.0


@dataclass(frozen=True, slots=True)
class Fit:
    """Intercept and slopes, with heteroskedasticity-robust (HC1) standard errors; r2 on the data it was fitted on."""

    intercept: float
    coefficients: Floats
    standard_errors: Floats
    r2: float
    n: int


def _design(x: Floats) -> Floats:
    return np.hstack([np.ones((x.shape[0], 1)), x])


def residual_squares(predicted: Floats, sums: Sums) -> Floats:
    """Per group: the sum over its responses of (score - predicted)²."""
    return np.clip(sums.syy - 2 * predicted * sums.sy + sums.w * predicted**2, 0.0, None)


def fit(x: Floats, sums: Sums) -> Fit:
    """Least squares of the scores on x with an intercept. Needs full-rank columns (independent_columns) and more
    responses than columns + 1."""
    z = _design(x)
    gram = z.T @ (z * sums.w[:, None])
    inverse = np.linalg.inv(gram)
    beta = inverse @ (z.T @ sums.sy)
    predicted = z @ beta
    squares = residual_squares(predicted, sums)
    meat = z.T @ (z * squares[:, None])
    n, k = sums.n, z.shape[1]
    covariance = inverse @ meat @ inverse * (n / max(n - k, 1.0))
    errors = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    return Fit(float(beta[0]), beta[1:], errors[1:], r_squared(predicted, sums), int(n))


def predict(model: Fit, x: Floats) -> Floats:
    return model.intercept + x @ model.coefficients


def r_squared(predicted: Floats, sums: Sums) -> float:
    """1 - SSE/SST over the responses of `sums`; 0 when their scores do not vary (nothing to explain)."""
    total = sums.total_squares()
    if total <= 0:
        return 0.0
    return 1.0 - float(residual_squares(predicted, sums).sum()) / total


def independent_columns(x: Floats, w: Floats, tolerance: float = 1e-9) -> list[int]:
    """Indices of the columns to keep, in order: each must vary and not be a linear combination of the kept ones
    (plus the intercept). A dropped column is collinear: its effect cannot be told apart from the others'."""
    covariance = _centred_covariance(x, w)
    kept: list[int] = []
    for j in range(x.shape[1]):
        variance = covariance[j, j]
        if variance <= tolerance:
            continue
        if kept:
            block = covariance[np.ix_(kept, kept)]
            cross = covariance[kept, j]
            variance -= float(cross @ np.linalg.solve(block, cross))
        if variance > tolerance * max(covariance[j, j], 1.0):
            kept.append(j)
    return kept


def _centred_covariance(x: Floats, w: Floats) -> Floats:
    total = w.sum()
    mean = (w @ x) / total
    result: Floats = x.T @ (x * w[:, None]) / total - np.outer(mean, mean)
    return result


def family_shares(x: Floats, sums: Sums, families: Sequence[int]) -> dict[int, float]:
    """Shapley decomposition of R² over families of columns (LMG): each family's average gain in R² when added to
    every subset of the other families. The shares sum to the model's R². Exponential in the number of families,
    so callers keep it small (a handful)."""
    n = sums.n
    sxx = _centred_covariance(x, sums.w)
    sxy = (x.T @ sums.sy) / n - ((sums.w @ x) / n) * (sums.sy.sum() / n)
    syy = sums.total_squares() / n
    names = sorted(set(families))
    if syy <= 0 or not names:
        return dict.fromkeys(names, 0.0)
    columns = {name: [j for j, f in enumerate(families) if f == name] for name in names}

    def r2(subset: tuple[int, ...]) -> float:
        index = [j for name in subset for j in columns[name]]
        if not index:
            return 0.0
        cross = sxy[index]
        return float(cross @ np.linalg.solve(sxx[np.ix_(index, index)], cross)) / syy

    size = len(names)
    cache = {subset: r2(subset) for k in range(size + 1) for subset in combinations(names, k)}
    shares: dict[int, float] = {}
    for name in names:
        others = [other for other in names if other != name]
        total = 0.0
        for k in range(size):
            weight = math.factorial(k) * math.factorial(size - k - 1) / math.factorial(size)
            for subset in combinations(others, k):
                total += weight * (cache[tuple(sorted((*subset, name)))] - cache[subset])
        shares[name] = total
    return shares
