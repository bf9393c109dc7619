from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class Consent(Base):
    """A customer's current consent on one channel ('*' = every channel). No row: the channel's default applies
    (email and in-product channels allowed, SMS needs an opt-in). Kept by governance.consent with its ledger."""

    __tablename__ = "consents"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentChange(Base):
    """The ledger: every consent change with when, how (source) and by whom (actor). Never updated."""

    __tablename__ = "consent_changes"
    __table_args__ = (Index("ix_consent_changes_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactPolicy(Base):
    """The organisation's contact policy: one row (id 1), created with the defaults on first use."""

    __tablename__ = "contact_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    max_invitations: Mapped[int] = mapped_column(Integer)  # per customer per rolling window, across all surveys
    window_days: Mapped[int] = mapped_column(Integer)
    quiet_start: Mapped[str] = mapped_column(String(5))  # "21:00" in the customer's own timezone
    quiet_end: Mapped[str] = mapped_column(String(5))  # "08:00"
    quiet_channels: Mapped[list[str]] = mapped_column(JsonDoc)  # channels that respect quiet hours, e.g. ["sms"]
    default_timezone: Mapped[str] = mapped_column(String(64))  # for customers without a timezone
    sampling_rate: Mapped[float] = mapped_column(Float)  # 0 < rate <= 1: share of eligible invitations sent
    holdout_percent: Mapped[float] = mapped_column(Float)  # 0-50: customers never surveyed (a control group)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
