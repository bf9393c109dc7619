from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class Account(Base):
    """A B2B account that groups customers (its contacts)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    plan: Mapped[str | None] = mapped_column(String(100))
    arr: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    renewal_date: Mapped[date | None] = mapped_column(Date)
    owner: Mapped[str | None] = mapped_column(String(200))
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Customer(Base):
    """Someone who gives feedback. Personal data sits in named columns so erasure can find it."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    signup_date: Mapped[date | None] = mapped_column(Date)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Event(Base):
    """Something a customer did or that happened to them (signed_up, ticket_solved, order_delivered)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_events_customer_occurred", "customer_id", "occurred_at"),
        Index("ix_events_name_occurred", "name", "occurred_at"),
        Index("ix_events_anonymous_id", "anonymous_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # Segment's anonymousId: events sent before the visitor was identified; an identify call links them.
    anonymous_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    properties: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(64), default="api")
    # The sender's id for the event (Segment messageId, helpdesk event id): a resend is stored once.
    external_id: Mapped[str | None] = mapped_column(String(200))


class Outcome(Base):
    """A business outcome for a customer or an account: churn, renewal, revenue, lifetime value."""

    __tablename__ = "outcomes"
    __table_args__ = (Index("ix_outcomes_kind_on", "kind", "occurred_on"), UniqueConstraint("source", "external_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64), default="api")
    # The sender's id for the outcome (a billing system's invoice or churn record): a resend is stored once.
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Segment(Base):
    """A saved, validated filter over customer attributes, journey stage and behaviour."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Source text in the segment filter language (docs/segments.md); parsed, never evaluated.
    filter: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SegmentMember(Base):
    """Materialised membership: customer `customer_id` matched segment `segment_id` when last refreshed."""

    __tablename__ = "segment_members"

    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
