"""The experiments table: one A/B test of a CX change (docs/experiments.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class Experiment(Base):
    """An A/B test: customers (of `segment_id`, or all) are split into `variants` by a stable hash of the experiment
    key and their external id; `metric` is compared between variants over responses from `start_date` to `end_date`
    (inclusive, UTC days; open while running). `variants` is [{"key": "control", "weight": 50}, ...], the first is
    the control."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(8))  # MetricKind
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # ExperimentStatus
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
