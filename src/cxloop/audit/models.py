from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from cxloop.audit import append_only
from cxloop.storage.base import Base, BigId, JsonDoc, UTCDateTime


class AuditEntry(Base):
    """One audited action. Append-only: database triggers refuse UPDATE, and DELETE outside retention
    (audit/append_only.py)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(64))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(200))  # the API key's id, the OS user for the CLI
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    actor_role: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)

    __table_args__ = (
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_action_id", "action", "id"),
        Index("ix_audit_entries_target", "target_type", "target_id"),
    )


class AuditPurgeGuard(Base):
    """Empty except inside a retention purge on SQLite, which has no session variables: the DELETE trigger lets
    rows go only while this table has a row, which the purge adds and removes in its own transaction."""

    __tablename__ = "audit_purge_guard"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)


@event.listens_for(AuditEntry.__table__, "after_create")
def _install_triggers(_table: object, connection: Connection, **_kw: object) -> None:
    append_only.install(connection)
