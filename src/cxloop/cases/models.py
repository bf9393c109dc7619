from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
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
    reassign_to_next_agent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Case(Base):
    """Owned, timed work on one customer's problem. `open_customer_id` equals `customer_id` while the case is not
    closed and is NULL after: its unique constraint keeps one open case per customer on both databases."""

    __tablename__ = "cases"

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
    reopened: Mapped[int] = mapped_column(Integer, default=0)


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
