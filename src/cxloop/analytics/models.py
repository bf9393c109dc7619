"""Analytics tables: the score rollups, derived from collection's responses and feedback items."""

from __future__ import annotations

from sqlalchemy import Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base


class ScoreRollup(Base):
    """Count of scores per local day, kept current on every write so dashboards never scan raw rows.

    One row per (timezone, metric, dimension, dimension value, local day, score). `dim` is one of all, segment,
    stage, touchpoint, channel, survey; `dim_value` is the id or name as text, '' when the feedback has none.
    `day` counts days since 1970-01-01 in `tz`. `metric` is nps, csat, ces (from responses) or rating (a feedback
    item's 1-5 rating, which analytics count as CSAT). Kept by analytics/rollups.py.
    """

    __tablename__ = "score_rollups"
    # On SQLite the rows live in the primary-key B-tree itself: a metric query is one range scan with no row lookups.
    __table_args__ = {"sqlite_with_rowid": False}

    tz: Mapped[str] = mapped_column(String(64), primary_key=True)
    metric: Mapped[str] = mapped_column(String(8), primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    dim_value: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    score: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
