from __future__ import annotations

from cxloop.core.errors import InvalidInput, NotFound


class AnalysisNotFound(NotFound):
    """The item has no text analysis (yet): no comment, or the worker has not reached it."""


class NotEnoughLabels(InvalidInput):
    """Too few scored comments to learn from (and to cross-validate what was learned)."""


class EmbeddingsMissing(InvalidInput):
    """MiniLM was asked for (CXLOOP_SENTIMENT_EMBEDDINGS=on) and the nlp extra is not installed."""
