"""Analytics tables: the score rollups (derived from collection's responses and feedback items), the invitation
rollups (from invitations), responses per survey and day, the anomalies found and the metric targets."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, UTCDateTime


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


class InvitationRollup(Base):
    """Invitations per local day of their creation and outcome, kept current on every invitation write so the
    fatigue report, response rates and the surveys list never scan raw invitations.

    One row per (timezone, dimension, dimension value, local day, status, suppression reason, delivery report).
    `dim` is one of all, channel, survey, touchpoint, policy; `dim_value` the id or name as text, '' when the
    invitation has none (as are `reason` and `delivery`). `n` counts the invitations, `sent`, `opened` and `answered`
    those of them with that time set. Kept by analytics/invitation_rollups.py.
    """

    __tablename__ = "invitation_rollups"
    __table_args__ = {"sqlite_with_rowid": False}

    tz: Mapped[str] = mapped_column(String(64), primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    dim_value: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer)
    opened: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)


class SurveyResponseDay(Base):
    """Responses per survey and UTC day (days since 1970-01-01), kept current on every write so the surveys list
    never scans the responses table. Kept by analytics/survey_responses.py."""

    __tablename__ = "survey_response_days"
    __table_args__ = {"sqlite_with_rowid": False}

    survey_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class Anomaly(Base):
    """A significant change found by the anomaly scan (analytics/anomalies.py), stored once per series and period.

    `series` identifies what was measured (metric, dimension, value, granularity); `explanation` is the sentence
    shown to people. Aggregates only: no customer is named."""

    __tablename__ = "anomalies"
    __table_args__ = (UniqueConstraint("series", "period_start", name="uq_anomalies_series_period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    series: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # AnomalyKind
    metric: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(200))  # who, in words: a segment's name, "all customers", ...
    scope_key: Mapped[str | None] = mapped_column(String(100))  # the segment or touchpoint key, or channel
    # The touchpoint of a metric's series per touchpoint (None for the others, or once the touchpoint is deleted).
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="SET NULL"), index=True)
    granularity: Mapped[str] = mapped_column(String(8))  # day or week
    period_start: Mapped[date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(8))  # drop, rise, surge
    value: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float] = mapped_column(Float)
    margin: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    baseline_n: Mapped[int] = mapped_column(Integer)
    p_value: Mapped[float] = mapped_column(Float)
    q_value: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(String(500))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class MetricTarget(Base):
    """A goal for one metric, overall or in one segment: reach `target_value` by `due_date` (analytics/targets.py).
    Progress is counted from `start_date`."""

    __tablename__ = "metric_targets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(8))  # MetricKind
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    target_value: Mapped[float] = mapped_column(Float)
    start_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
