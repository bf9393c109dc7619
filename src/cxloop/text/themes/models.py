from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class Theme(Base):
    """One entry of the taxonomy: a discovered theme (key phrases, a term profile and a centroid from the last run
    that found it) or a user's rule (`phrases`).

    `user_named` and `pinned` keep discovery off the name (and, when pinned, off the whole definition); a theme merged
    into another keeps its row with `merged_into_id`, so a later run that finds it again hands its comments to the
    theme it was merged into. `retired_at`: the last run did not find it (kept so its identity can come back)."""

    __tablename__ = "text_themes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    key_phrases: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    phrases: Mapped[list[str]] = mapped_column(JsonDoc, default=list)  # a rule's keywords and phrases
    profile: Mapped[dict[str, float]] = mapped_column(JsonDoc, default=dict)  # term -> weight (unit vector)
    centroid: Mapped[list[float] | None] = mapped_column(JsonDoc)
    embedder: Mapped[str | None] = mapped_column(String(32))
    user_named: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("text_themes.id", ondelete="SET NULL"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ThemeAssignment(Base):
    """A theme of one response comment or feedback item; exactly one of an item's rows is its primary theme.

    Items are referred to by (kind, id) without a foreign key (two tables); the readers join the item and so never
    show an assignment whose item is gone, and erasure deletes them (text/themes/privacy.py)."""

    __tablename__ = "text_theme_assignments"
    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", "theme_id", name="uq_text_theme_assignments_item_theme"),
        Index("ix_text_theme_assignments_theme", "theme_id", "is_primary"),
        # A theme's examples in order (highest score, then newest item), read a few entries deep, not sorted whole.
        Index("ix_text_theme_assignments_theme_examples", "theme_id", "item_kind", "score", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(BigInteger)
    theme_id: Mapped[int] = mapped_column(ForeignKey("text_themes.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ThemeRun(Base):
    """One discovery run: how many comments it read, how many themes it found, kept, made and retired, and how long
    each step took.

    A run asked for over the API is `queued` (`started_at` is then the time it was asked for, `embedder` the one
    asked for) until the worker claims it: `running` under a lease (`lease_until`, renewed as it goes, so a killed
    worker's run is taken up again), then `done` or `failed` (`error`)."""

    __tablename__ = "text_theme_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="done", server_default="done")
    requested_limit: Mapped[int | None] = mapped_column(Integer)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    embedder: Mapped[str] = mapped_column(String(32))
    items: Mapped[int] = mapped_column(Integer)
    themes_found: Mapped[int] = mapped_column(Integer)
    kept: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    retired: Mapped[int] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)  # seconds per step, silhouettes


class CommentVector(Base):
    """The sentence vector of one item's text, encoded once (when the worker enriches the item, or the first time a
    discovery run reads it) and read back by every later discovery and matching (text/themes/vectors.py).

    `digest` is a hash of the text that was embedded: a vector whose item's text has changed since is not used (and
    is replaced). `vector` holds DIMENSIONS float16 values, little-endian (768 bytes for MiniLM)."""

    __tablename__ = "text_vectors"
    __table_args__ = (UniqueConstraint("item_kind", "item_id", name="uq_text_vectors_item"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(BigInteger)
    embedder: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(16))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
