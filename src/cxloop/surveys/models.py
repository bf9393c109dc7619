from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class Survey(Base):
    """A survey programme. Its questions live in versions; `current_version` is the one new responses answer."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # Life cycle (surveys.lifecycle): a scheduled survey opens at `opens_at`; any survey stops accepting responses
    # from public channels at `closes_at` or once it has `max_responses`.
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_responses: Mapped[int | None] = mapped_column(Integer)
    # How often a customer may answer (enums.ResponseLimit); the period applies to `per_period` only.
    response_limit: Mapped[str] = mapped_column(String(16), default="once", server_default="once")
    response_period_days: Mapped[int | None] = mapped_column(Integer)
    # No new invitation to this survey within this many days of the customer's last one.
    resurvey_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    # One reminder this many days after the invitation to those who have not answered (None: no reminder).
    reminder_after_days: Mapped[int | None] = mapped_column(Integer)
    # Reminders go to invitations sent at or after this instant: turning reminders on for a live survey does not
    # remind every older invitation at once (set when they are turned on; None: every invitation).
    reminders_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invitation_ttl_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveyVersion(Base):
    """An immutable snapshot of a survey's questions; every response points at the version it answered."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # {"questions": [...]} validated by surveys.schemas.SurveyDefinition
    definition: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
