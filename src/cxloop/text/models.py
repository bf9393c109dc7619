from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class TextAnalysis(Base):
    """What the enrichment found in one text field of one item (a response's comment, a feedback item's text).

    `masked_text` is the text with personal data replaced by `[EMAIL]`, `[PHONE]`, ... (text/pii.py); `pii` counts
    what was masked by kind. `model` names what produced the sentiment (`lexicon-1`, `learned-3`), so a re-scoring
    knows what to change. Unique per (item_kind, item_id, field): re-analysing replaces the row.
    """

    __tablename__ = "text_analyses"
    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", "field", name="uq_text_analyses_item_field"),
        # The explorer's sentiment filter: one label's item ids without reading every analysis.
        Index("ix_text_analyses_label", "item_kind", "field", "sentiment_label", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(BigInteger)
    field: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    sentiment_label: Mapped[str] = mapped_column(String(8))
    sentiment_score: Mapped[float] = mapped_column(Float)
    day_one_score: Mapped[float] = mapped_column(Float)
    key_phrases: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    masked_text: Mapped[str] = mapped_column(Text)
    pii: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    model: Mapped[str] = mapped_column(String(64))
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SentimentModel(Base):
    """One fit of the organisation's own sentiment model, with the cross-validated macro-F1 of each learned kind
    (`f1_learned`: TF-IDF; `f1_minilm`: on MiniLM embeddings, null when not tried) and the day-one model's, all on the
    same folds. `kind` is the better learned kind, the one fitted and stored; `chosen` is true when it beat the day-one
    model and so scores comments from then on; the newest chosen row is the one in use. `blob` is the fitted
    scikit-learn pipeline, pickled by cxloop itself (never uploaded)."""

    __tablename__ = "text_sentiment_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="tfidf", server_default="tfidf")
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    n_train: Mapped[int] = mapped_column(Integer)
    labels: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    folds: Mapped[int] = mapped_column(Integer)
    f1_learned: Mapped[float] = mapped_column(Float)
    f1_day_one: Mapped[float] = mapped_column(Float)
    f1_learned_binary: Mapped[float] = mapped_column(Float)
    f1_day_one_binary: Mapped[float] = mapped_column(Float)
    f1_minilm: Mapped[float | None] = mapped_column(Float)
    f1_minilm_binary: Mapped[float | None] = mapped_column(Float)
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    rescored: Mapped[int] = mapped_column(Integer, default=0)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
