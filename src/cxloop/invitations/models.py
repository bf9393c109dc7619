from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, UTCDateTime


class Invitation(Base):
    """One request to one customer to answer one survey on one channel.

    `occurrence_key` makes triggers exactly-once: a rule names each occurrence it acts on (e.g.
    `rule:7:customer:42:2026-03-01`) and a second insert of the same key is refused by the unique index, whichever
    worker gets there second. `reason` says why a suppressed invitation was not sent (governance.enums).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_customer_created", "customer_id", "created_at"),
        Index("ix_invitations_status_scheduled", "status", "scheduled_for"),
        Index("ix_invitations_survey_created", "survey_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    # The channel first asked for, when the contact policy fell back to another (SMS -> email).
    requested_channel: Mapped[str | None] = mapped_column(String(16))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="SET NULL"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("trigger_rules.id", ondelete="SET NULL"))
    occurrence_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    # The key of the contact policy that decided (governance.scoped_policies); None for rows decided before them.
    policy: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why its reminder was dropped for good (the contact policy or consent blocked it, or it expired): the reminder
    # sweep never picks it again. None: not dropped.
    reminder_dropped: Mapped[str | None] = mapped_column(String(32))
    # A worker sending it (or its reminder) holds it until then; a lease left by a killed worker runs out
    # (jobs/leases.py). After a temporary failure it is the earliest retry.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_id: Mapped[int | None] = mapped_column(BigId)  # soft: responses has no foreign keys pointing at it
    # What the channel reported: provider message id, bounce reason, ...
    detail: Mapped[str | None] = mapped_column(String(500))
    # What the provider later reported about the message's delivery (invitations.delivery_status): queued, sent,
    # delivered, undelivered, failed (SMS status callbacks), bounced, deferred, complained (email webhooks); and
    # the provider's error code or bounce kind. None: nothing reported.
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
