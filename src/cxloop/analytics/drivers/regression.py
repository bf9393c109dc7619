"""Weighted least squares over grouped responses: coefficients with robust 95% intervals, a held-out fit, the
relative importance of feature families (Shapley R², LMG) and the pruning of collinear columns.

Pure numpy. Each row of X is one group of identical responses (same features, same score) and `w` is how many
responses it holds, so every sum below is the sum over the individual responses without expanding them: the fit,
the residuals and the sandwich covariance are exactly those of the ungrouped regression.
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
class Fit:
    """Intercept and slopes, with heteroskedasticity-robust (HC1) standard errors; r2 on the data it was fitted on."""

    intercept: float
    coefficients: Floats
    standard_errors: Floats
    r2: float
    n: int


def _design(x: Floats) -> Floats:
    return np.hstack([np.ones((x.shape[0], 1)), x])


def fit(x: Floats, y: Floats, w: Floats) -> Fit:
    """Least squares of y on x with an intercept, each row counted w times. Needs full-rank columns
    (independent_columns) and sum(w) > number of columns + 1."""
    z = _design(x)
    zw = z * w[:, None]
    gram = z.T @ zw
    inverse = np.linalg.inv(gram)
    beta = inverse @ (zw.T @ y)
    residuals = y - z @ beta
    meat = zw.T @ (z * (residuals**2)[:, None])
    n, k = float(w.sum()), z.shape[1]
    covariance = inverse @ meat @ inverse * (n / max(n - k, 1.0))
    errors = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    return Fit(float(beta[0]), beta[1:], errors[1:], r_squared(y, z @ beta, w), int(n))


def predict(model: Fit, x: Floats) -> Floats:
    return model.intercept + x @ model.coefficients


def r_squared(y: Floats, predicted: Floats, w: Floats) -> float:
    """1 - SSE/SST with weights; 0 when y does not vary (nothing to explain)."""
    mean = float(np.average(y, weights=w))
    total = float(w @ (y - mean) ** 2)
    if total <= 0:
        return 0.0
    return 1.0 - float(w @ (y - predicted) ** 2) / total


def split_counts(w: Floats, fraction: float, seed: int) -> tuple[Floats, Floats]:
    """Each response of each group goes to the held-out part with probability `fraction`: (train, held out)."""
    rng = np.random.default_rng(seed)
    held = rng.binomial(w.astype(np.int64), fraction).astype(np.float64)
    return w - held, held


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
    centred = x - mean
    result: Floats = (centred * w[:, None]).T @ centred / total
    return result


def family_shares(x: Floats, y: Floats, w: Floats, families: Sequence[int]) -> dict[int, float]:
    """Shapley decomposition of R² over families of columns (LMG): each family's average gain in R² when added to
    every subset of the other families. The shares sum to the model's R². Exponential in the number of families,
    so callers keep it small (a handful)."""
    joined = np.hstack([x, y[:, None]])
    covariance = _centred_covariance(joined, w)
    sxx, sxy, syy = covariance[:-1, :-1], covariance[:-1, -1], covariance[-1, -1]
    names = sorted(set(families))
    if syy <= 0 or not names:
        return dict.fromkeys(names, 0.0)
    columns = {name: [j for j, f in enumerate(families) if f == name] for name in names}

    def r2(subset: tuple[int, ...]) -> float:
        index = [j for name in subset for j in columns[name]]
        if not index:
            return 0.0
        cross = sxy[index]
        return float(cross @ np.linalg.solve(sxx[np.ix_(index, index)], cross)) / float(syy)

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
