from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, UTCDateTime


class ChannelSetting(Base):
    """A channel setting an admin stored, used over the environment's: `name` is the Settings field it replaces
    (`smtp_url`); a `sealed` value is a Fernet token (sealing.py), never shown back."""

    __tablename__ = "channel_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    sealed: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChannelTest(Base):
    """The last test message of a channel an admin asked for: requested, then sent or refused (`ok`, `detail`)."""

    __tablename__ = "channel_tests"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(String(500), default="")
