from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class RootCause(Base):
    """One entry of the editable list of root-cause categories a resolved case is filed under."""

    __tablename__ = "case_root_causes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoutingRule(Base):
    """A routing rule, evaluated in `position` order: every condition given must hold (none: the fallback).

    `team_id` None only for an account-owner rule, which then routes to the owner's first team."""

    __tablename__ = "case_routing_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    conditions: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))


class RoutingCursor(Base):
    """The member of a team who was given the last case by round robin."""

    __tablename__ = "case_routing_cursors"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    last_user_id: Mapped[int | None] = mapped_column(BigInteger)


class SlaPolicy(Base):
    """Targets in working minutes for cases of a team and priority (None: any); the most specific one applies."""

    __tablename__ = "case_sla_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    priority: Mapped[str | None] = mapped_column(String(16))
    acknowledge_minutes: Mapped[int] = mapped_column(Integer)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    close_minutes: Mapped[int] = mapped_column(Integer)
    warn_minutes: Mapped[int] = mapped_column(Integer)
    reassign_to_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    # Days after a case is resolved that its customer is re-surveyed (0: never; cases/service/verification.py).
    verify_after_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    # The share (0-50 %) of new cases held out of follow-ups, by a stable hash of the customer id (holdout.py).
    holdout_percent: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    reassign_to_next_agent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Case(Base):
    """Owned, timed work on one customer's problem. `open_customer_id` equals `customer_id` while the case is not
    closed and is NULL after: its unique constraint keeps one open case per customer on both databases."""

    __tablename__ = "cases"
    # The SLA report counts and ranks each clock's stored minutes per team or owner from these alone.
    __table_args__ = tuple(
        Index(f"ix_cases_{group}_{clock}_minutes", f"{group}_id", f"{clock}_minutes")
        for group in ("team", "owner_user")
        for clock in ("acknowledge", "close")
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    open_customer_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    root_cause_id: Mapped[int | None] = mapped_column(ForeignKey("case_root_causes.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    routing: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledge_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    close_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Working minutes from creation to acknowledged_at / closed_at, fixed when that clock stops (None while it runs;
    # a reopening clears the close clock's). The SLA report and the export read them (docs/cases.md "SLA report").
    acknowledge_minutes: Mapped[float | None] = mapped_column(Float)
    close_minutes: Mapped[float | None] = mapped_column(Float)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    # Decided once, when the case opens: held out of follow-ups (a control group; cases/service/holdout.py).
    held_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CaseTrigger(Base):
    """A feedback item or response that opened or joined a case; each belongs to at most one case."""

    __tablename__ = "case_triggers"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(BigInteger)
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseActivity(Base):
    """One change or note on a case: who (user id and name), when, what (kind, details, note text)."""

    __tablename__ = "case_activity"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    note: Mapped[str | None] = mapped_column(Text)


class CaseSlaMark(Base):
    """A warning or breach of one SLA clock, recorded once (the primary key makes a second one fail)."""

    __tablename__ = "case_sla_marks"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    clock: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseVerification(Base):
    """The re-survey of a resolved case's customer (one per case: the unique key makes a second one fail), with the
    score that opened the case (`before_score`) and the verification answer (`after_score`) on the same metric."""

    __tablename__ = "case_verifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # VerificationStatus
    reason: Mapped[str | None] = mapped_column(String(64))  # why skipped or suppressed
    metric: Mapped[str | None] = mapped_column(String(8))  # nps, csat or ces
    channel: Mapped[str | None] = mapped_column(String(16))  # the channel of the feedback that opened the case
    before_score: Mapped[int | None] = mapped_column(SmallInteger)
    after_score: Mapped[int | None] = mapped_column(SmallInteger)
    survey_id: Mapped[int | None] = mapped_column(BigInteger)
    invitation_id: Mapped[int | None] = mapped_column(
        BigInteger, index=True
    )  # soft, as invitations are another domain's
    response_id: Mapped[int | None] = mapped_column(BigInteger)  # the answer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FollowUpTemplate(Base):
    """One entry of the editable list of follow-up messages: a name and channel, the subject (email) and body in the
    default language, and `translations` {locale: {"subject", "body"}} for customers of other locales."""

    __tablename__ = "follow_up_templates"
    __table_args__ = (UniqueConstraint("name", "channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Improvement(Base):
    """Something shipped that customers asked for ("you asked, we fixed it"), announced once to the customers whose
    feedback led to a case with its root cause or theme; the message is its own (subject, body, translations)."""

    __tablename__ = "case_improvements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    translations: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    root_cause_id: Mapped[int | None] = mapped_column(ForeignKey("case_root_causes.id", ondelete="SET NULL"))
    theme: Mapped[str | None] = mapped_column(String(100))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_counts: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)


class FollowUp(Base):
    """One message to a case's customer, rendered when asked for and sent by the worker (claimed under a lease,
    sent outside any transaction, recorded, retried with backoff). An improvement's announcement is a follow-up with
    `improvement_id`: unique per (improvement, customer), so a customer hears of an improvement once."""

    __tablename__ = "case_follow_ups"
    __table_args__ = (UniqueConstraint("improvement_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    improvement_id: Mapped[int | None] = mapped_column(ForeignKey("case_improvements.id", ondelete="CASCADE"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_templates.id", ondelete="SET NULL"))
    template: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(35))
    address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    detail: Mapped[str | None] = mapped_column(Text)  # the Message-ID / SMS sid, or why it failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FollowUpReply(Base):
    """The customer's answer to a follow-up (an email reply through the inbound webhook, or an SMS), kept once per
    provider message id."""

    __tablename__ = "case_follow_up_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("case_follow_ups.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseBulkRun(Base):
    """An inbox action on every case of a filter, run by the worker in chunks (cases/service/bulk_runs.py).

    Its cases are the filter's snapshot taken at confirmation (CaseBulkRunCase; cases that arrive later are not in
    it). `position` counts the cases done: each chunk changes its cases and moves `position` in one transaction, so
    a chunk retried after a crash starts where the last commit left off and changes nothing twice. `skipped_shown`
    holds the first SHOWN skipped cases as [case id, reason]; `actor` the audit actor (who confirmed, from where) of
    the one entry written when the run finishes."""

    __tablename__ = "case_bulk_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    owner_user_id: Mapped[int | None] = mapped_column(BigInteger)
    set_priority: Mapped[str | None] = mapped_column(String(20))
    resolution: Mapped[str | None] = mapped_column(Text)
    actor_name: Mapped[str] = mapped_column(String(200))  # as the cases' activity names who changed them
    done_words: Mapped[str] = mapped_column(String(300))
    filter_words: Mapped[str] = mapped_column(String(200))
    total: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    skipped_shown: Mapped[list[Any]] = mapped_column(JsonDoc, default=list)
    actor: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    progressed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the last chunk's commit (or the creation)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class CaseBulkRunCase(Base):
    """One case of a bulk run's snapshot, in the order the run changes them (`seq` from 0). A row each, not a JSON
    list on the run: a chunk reads its slice by the primary key, and moving the run's position rewrites a small row
    (SQLite rewrites a whole record on update). No foreign key to the run: PostgreSQL checks one per row inserted,
    2 of the 2.3 s that 100,000 rows took; the rows go with their run (`prune_bulk_runs`)."""

    __tablename__ = "case_bulk_run_cases"

    run_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigInteger)
