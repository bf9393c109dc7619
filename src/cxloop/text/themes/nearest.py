"""New comments to discovered themes by their MiniLM sentence vectors: the nearest theme centroid, when the comment is
close enough to it. Used when the themes were discovered on MiniLM vectors and MiniLM is installed; otherwise new
comments are matched by the themes' key terms (discovery.profile_scores). Pure: no database.

The threshold was measured (bench/bench_themes.py assign, docs/benchmarks.md "Themes"): discover on one half of a
labelled set, match the other half, and count how many get a theme and how often it is the theme their labelled
class mostly fell in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cxloop.text.themes import discovery, embedding

MIN_COSINE = 0.45  # a new comment joins its nearest theme when its cosine to the centroid reaches this


class Placed(Protocol):
    embedder: str | None
    centroid: list[float] | None


def usable(themes: Sequence[Placed]) -> bool:
    """Whether comments can be matched to these discovered themes by vectors here: all were discovered with MiniLM,
    all have a centroid, and MiniLM is installed."""
    return (
        bool(themes)
        and all(t.embedder == embedding.MINILM and t.centroid for t in themes)
        and embedding.minilm_installed()
    )


def nearest_of(
    vectors: discovery.Vectors, centroids: Sequence[Sequence[float]], *, minimum: float = MIN_COSINE
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """For each comment's unit vector (embedded as discovery embeds, text/themes/vectors.py), the index of its nearest
    centroid (-1 when its cosine stays below `minimum`) and the cosine."""
    if not len(vectors) or not centroids:
        return np.full(len(vectors), -1, dtype=np.int64), np.zeros(len(vectors), dtype=np.float32)
    matrix = np.asarray(centroids, dtype=np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    cosines = vectors @ matrix.T
    best = cosines.argmax(axis=1)
    score = cosines[np.arange(len(vectors)), best]
    return np.where(score >= minimum, best, -1).astype(np.int64), score.astype(np.float32)
