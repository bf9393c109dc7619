from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime
from cxloop.storage.references import soft_reference


class Response(Base):
    """The answers to one survey invitation or one anonymous visit.

    `nps`, `csat` and `ces` are derived from the answers when the response is recorded (the first question of each
    kind); `stage_id` is the journey stage at that moment, so later stage changes never move old feedback.

    The hot table: its references are soft (storage/references.py), because foreign-key checks on every inserted
    row cost more than the insert. Deleting a customer deletes their responses; deleting a stage or touchpoint
    clears it; a survey with responses cannot be deleted.
    """

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_submitted_at", "submitted_at"),
        Index("ix_responses_customer_submitted", "customer_id", "submitted_at"),
        # No (survey_id, submitted_at) index: each index costs ~3 µs per inserted row, and per-survey counts come
        # from the rollups; a survey's responses are found through the submitted_at index.
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(BigId, info=soft_reference("surveys", on_delete="restrict"))
    survey_version_id: Mapped[int] = mapped_column(BigId, info=soft_reference("survey_versions", on_delete="restrict"))
    customer_id: Mapped[int | None] = mapped_column(BigId, info=soft_reference("customers", on_delete="cascade"))
    channel: Mapped[str] = mapped_column(String(16))
    touchpoint_id: Mapped[int | None] = mapped_column(BigId, info=soft_reference("touchpoints", on_delete="set null"))
    stage_id: Mapped[int | None] = mapped_column(BigId, info=soft_reference("stages", on_delete="set null"))
    answers: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    nps: Mapped[int | None] = mapped_column(SmallInteger)
    csat: Mapped[int | None] = mapped_column(SmallInteger)
    ces: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDoc, default=dict)
    locale: Mapped[str | None] = mapped_column(String(16))
    is_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Idempotency-Key header (or invitation token): a resend with the same key is stored once.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class FeedbackItem(Base):
    """Unstructured feedback: a review, social post, chat or call transcript, email or in-person note.

    `rating` is on a 1-5 scale when present and counts towards CSAT in analytics.
    """

    __tablename__ = "feedback_items"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_feedback_items_posted_at", "posted_at"),
        Index("ix_feedback_items_customer_posted", "customer_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    author: Mapped[str | None] = mapped_column(String(300))
    # Lower-cased; links the item to a customer with this email when no customer external id is given.
    author_email: Mapped[str | None] = mapped_column(String(320))
    url: Mapped[str | None] = mapped_column(String(2000))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="SET NULL"))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDoc, default=dict)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
