"""Language of a comment: py3langid (langid.py's model, 97 languages, shipped inside the wheel; nothing downloaded).

Texts with fewer than MIN_LETTERS letters get no language (None): "ok", "10" or an emoji say nothing reliable. A
guess below MIN_CONFIDENCE also gets None rather than a wrong code.

Fast path: a plain-ASCII text in which at least three distinct words that only English has ("the", "and", "you",
...) make up a sixth of the words is English without asking the model, which costs about four times the rest of the
enrichment. Most comments of an English-speaking organisation take this path.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

MIN_LETTERS = 12
MIN_CONFIDENCE = 0.5
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[a-z']+")
# Frequent words of English that are not words of the other languages py3langid knows well ("was", "die", "a" are).
ENGLISH_MARKERS = frozenset(
    [
        "the",
        "and",
        "you",
        "with",
        "this",
        "that",
        "have",
        "they",
        "were",
        "would",
        "there",
        "their",
        "been",
        "from",
        "your",
        "what",
        "which",
        "could",
        "should",
        "about",
        "because",
        "after",
        "before",
        "very",
        "really",
        "just",
        "when",
        "will",
        "it's",
        "i'm",
        "don't",
        "didn't",
        "can't",
    ]
)


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str | None:
    """The ISO 639-1 code of `text`'s language, or None when it is too short or the model is unsure."""
    if len(_LETTER.findall(text)) < MIN_LETTERS:
        return None
    if text.isascii():
        words = _WORD.findall(text.lower())
        markers = [w for w in words if w in ENGLISH_MARKERS]
        if len(set(markers)) >= 3 and len(markers) * 6 >= len(words):
            return "en"
    code, confidence = _identifier().classify(text)
    return str(code) if confidence >= MIN_CONFIDENCE else None
