from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class AlertRule(Base):
    """A rule as data: conditions and actions as validated JSON (alerts/schemas.py); `version` grows on each change.
    `source` (RuleSource) says what it is evaluated on: stored feedback or anomalies."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="feedback", server_default="feedback")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Alert(Base):
    """One rule firing on one item. The unique constraint is what makes it exactly once: a replayed event, a second
    relay or a restarted worker inserts nothing and so opens no second case and sends nothing twice. `source`
    (AlertSource) is a response, a feedback item or an anomaly; an anomaly's alert has no customer and no case."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("rule_id", "source", "source_id", name="uq_alerts_rule_item"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    rule_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    tags: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
