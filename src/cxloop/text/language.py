"""Language of a comment: py3langid (langid.py's model, 97 languages, shipped inside the wheel; nothing downloaded).

Texts with fewer than MIN_LETTERS letters get no language (None): "ok", "10" or an emoji say nothing reliable. A
guess below MIN_CONFIDENCE also gets None rather than a wrong code.
"""

from __future__ import annotations

from functools import cache
from typing import Any

MIN_LETTERS = 12
MIN_CONFIDENCE = 0.5


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str | None:
    """The ISO 639-1 code of `text`'s language, or None when it is too short or the model is unsure."""
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return None
    code, confidence = _identifier().classify(text)
    return str(code) if confidence >= MIN_CONFIDENCE else None
