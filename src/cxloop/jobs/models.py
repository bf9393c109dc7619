"""The transactional outbox: events written in the transaction of the change, and one delivery per handler."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.jobs.enums import DeliveryStatus
from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class OutboxEvent(Base):
    """A change others may react to (`response.received`, ...), stored with the change itself.

    `payload` holds ids, never personal data (jobs/events.py holds each name's schema). `relayed_at` is set once the
    relay has created a delivery for every handler of the name; NULL means not fanned out yet."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (Index("ix_outbox_events_name_created_at", "name", "created_at"),)


class OutboxDelivery(Base):
    """One handler's work on one event. (event_id, handler) is unique: the idempotency key of the pair.

    `attempts` counts claims; a claim leases the row until `leased_until` under `lease_token` (a worker killed
    mid-handler leaves a lease that expires, and the row is claimed again). On failure `next_attempt_at` moves on
    with exponential backoff; after the last attempt the status becomes dead (a dead letter) with `last_error`.
    Each run records its duration (`last_duration_ms`)."""

    __tablename__ = "outbox_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"))
    handler: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)  # of the last run, done or failed
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("event_id", "handler"),
        Index("ix_outbox_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )
