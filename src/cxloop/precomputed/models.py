"""The stored results of the slow analyses the web pages show (registry.py), and the worker's sweeps over them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, UTCDateTime


class PrecomputedResult(Base):
    """The last result of one analysis for one set of canonical parameters: its JSON (None until the first
    computation ends), when it was computed, how long it took, and the data stamp it was computed over. A row
    exists because a page asked for it; `requested_at` is set while a computation is queued."""

    __tablename__ = "precomputed_results"
    __table_args__ = (
        UniqueConstraint("analysis", "params", name="uq_precomputed_results_analysis_params"),
        Index("ix_precomputed_results_viewed_at", "viewed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    analysis: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(String(1000))  # canonical JSON: sorted keys, no spaces
    result: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))  # the last computation's InvalidInput, in words
    stamp: Mapped[str | None] = mapped_column(String(2000))
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seconds: Mapped[float | None] = mapped_column(Float)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PrecomputeSweep(Base):
    """One run of the worker's sweep: when, how many results it refreshed, how long it took. The latest tells the
    pages whether a worker is running (without one they compute inline)."""

    __tablename__ = "precomputed_sweeps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    swept_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    refreshed: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
