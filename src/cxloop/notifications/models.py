"""Destinations (where event messages go, with their health) and messages (one per event and destination)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.notifications.enums import MessageStatus
from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class Destination(Base):
    """A webhook URL or Slack incoming webhook and the events it receives (`events` NULL: every notifiable event).

    `secret` (`whsec_...`, webhooks only) signs every message; it is shown once, when the destination is made.
    Health: `failures_in_a_row` counts failed attempts since the last success; while it is above zero only one
    message at a time probes the destination, not before `retry_at` (exponential backoff). After the policy's limit
    the destination is paused (`paused_at`, `pause_reason`): its messages keep queueing until resumed by hand."""

    __tablename__ = "notification_destinations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str] | None] = mapped_column(JsonDoc)
    secret: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    # A person's own inbox (SLA escalations, weekly digests): subscribed to no event (`events` []), made on first use.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)


class Message(Base):
    """One event for one destination. `webhook_id` stays the same on every attempt (a receiver drops duplicates by
    it); `body` is the event's JSON as signed and sent ({type, timestamp, data}). (event_id, destination_id) is
    unique, so fanning an event out twice adds nothing; a test message has no event.

    The sender leases a due message (`lease_until`, `lease_token`, `attempts + 1`), posts it with no transaction
    open and records the outcome; a worker killed mid-send leaves a lease that runs out, and the message is sent
    again with the same `webhook_id`."""

    __tablename__ = "notification_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(40), unique=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("notification_destinations.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)  # outbox events are pruned after a week: no FK
    event_name: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("event_id", "destination_id"),
        Index("ix_notification_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notification_messages_destination_id_status", "destination_id", "status"),
    )


class DigestPreference(Base):
    """Whether a user gets the weekly digest of their teams. No row: the default (on for team leads, off else)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    weekly_digest: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestSent(Base):
    """One team's weekly digest for the week starting `week_start` (a Monday in the team's timezone), queued once:
    the primary key makes a second worker, a restart or a second `cxloop digest send` without --again add nothing."""

    __tablename__ = "notification_digests"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer)
