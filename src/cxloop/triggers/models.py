from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class TriggerRule(Base):
    """When to invite whom to which survey on which channel.

    kind 'event': when `event_name` happens for a customer (its properties matching `conditions`, the customer in
    `segment_id` when set), invite them `delay_seconds` later. kind 'time': `offset_days` after (negative: before)
    the customer's `anchor` date (signup_date, first_event:<name>, account_renewal_date), then every `repeat_days`
    when set. Each occurrence yields at most one invitation (Invitation.occurrence_key).
    """

    __tablename__ = "trigger_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    # Channels tried in order when `channel` cannot be used for a customer (e.g. ["email"] after sms).
    fallbacks: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="SET NULL"))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="RESTRICT"))
    event_name: Mapped[str | None] = mapped_column(String(200))
    # [{"property": "wait_minutes", "op": ">", "value": 30}, ...], all must hold
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    delay_seconds: Mapped[int] = mapped_column(Integer, default=0)
    anchor: Mapped[str | None] = mapped_column(String(232))
    offset_days: Mapped[int | None] = mapped_column(Integer)
    repeat_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
