from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class Consent(Base):
    """A customer's current consent for one purpose (governance.purposes; '*' = every purpose) on one channel
    ('*' = every channel). No row: the channel's default applies (email and in-product channels allowed, SMS needs an
    opt-in). Kept by governance.consent with its ledger."""

    __tablename__ = "consents"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentChange(Base):
    """The ledger: every consent change with when, how (source) and by whom (actor). Never updated."""

    __tablename__ = "consent_changes"
    __table_args__ = (Index("ix_consent_changes_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactPolicy(Base):
    """A contact policy. The organisation's default has key 'default' and no segment filter, created with the
    defaults on first use; the others apply to the customers their `segment_filter` matches, the lowest
    `priority` first (governance.policy.policies_for)."""

    __tablename__ = "contact_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    segment_filter: Mapped[str | None] = mapped_column(Text)  # the segment language (docs/segments.md)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # channel -> weight of one contact in the frequency cap; channels not named weigh their registry default
    channel_weights: Mapped[dict[str, float]] = mapped_column(JsonDoc, default=dict)
    max_invitations: Mapped[int] = mapped_column(Integer)  # per customer per rolling window, across all surveys
    window_days: Mapped[int] = mapped_column(Integer)
    quiet_start: Mapped[str] = mapped_column(String(5))  # "21:00" in the customer's own timezone
    quiet_end: Mapped[str] = mapped_column(String(5))  # "08:00"
    quiet_channels: Mapped[list[str]] = mapped_column(JsonDoc)  # channels that respect quiet hours, e.g. ["sms"]
    default_timezone: Mapped[str] = mapped_column(String(64))  # for customers without a timezone
    sampling_rate: Mapped[float] = mapped_column(Float)  # 0 < rate <= 1: share of eligible invitations sent
    holdout_percent: Mapped[float] = mapped_column(Float)  # 0-50: customers never surveyed (a control group)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
