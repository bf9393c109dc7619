"""Record audit entries (in the caller's transaction), read them, and purge them for retention only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Select, delete, func, insert, select, text
from sqlalchemy.orm import Session

from cxloop.audit import append_only
from cxloop.audit.changes import clean, diff
from cxloop.audit.enums import ActorKind, AuditAction
from cxloop.audit.models import AuditEntry, AuditPurgeGuard
from cxloop.audit.schemas import AuditActor, AuditEntryPage, AuditEntryRead
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

MAX_LIMIT = 500
_RETENTION_ACTOR = AuditActor.system("retention")


def record(
    session: Session,
    *,
    actor: AuditActor,
    action: AuditAction,
    target_id: object = None,
    changes: Mapping[str, Any] | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry in the caller's transaction: a rolled-back change leaves none, a committed one always has one.

    `changes` is stored as given, or computed from `before`/`after` (only the fields that differ); fields named like
    credentials are redacted either way (changes.py)."""
    if before is not None or after is not None:
        changes = {**diff(before or {}, after or {}), **(changes or {})}
    entry = AuditEntry(
        at=utcnow(),
        action=AuditAction(action).value,
        actor_kind=actor.kind.value,
        actor_id=actor.id,
        actor_name=actor.name[:200],
        actor_role=actor.role,
        ip=actor.ip,
        user_agent=actor.user_agent[:300] if actor.user_agent else None,
        target_type=AuditAction(action).target_type,
        target_id=None if target_id is None else str(target_id)[:200],
        changes=clean(changes),
    )
    session.add(entry)
    session.flush()
    return entry


def _parse_actor(actor: str) -> tuple[str, str | None]:
    kind, _, actor_id = actor.partition(":")
    if kind not in ActorKind.__members__:
        raise InvalidInput(
            "bad actor filter",
            errors=[FieldError("actor", f"use <kind>:<id>, kind one of {', '.join(ActorKind)}; got {actor!r}")],
        )
    return kind, actor_id or None


def list_entries(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    action: AuditAction | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    cursor: int | None = None,
    limit: int = 100,
) -> AuditEntryPage:
    """Entries newest first, filtered; `cursor` is the `next_cursor` of the page before (keyset, so pages hold still
    while new entries arrive)."""
    errors = [
        FieldError(n, "needs a timezone, e.g. 2026-12-01T00:00:00Z")
        for n, v in (("since", since), ("until", until))
        if v is not None and v.tzinfo is None
    ]
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    if since and until and not errors and until < since:
        errors.append(FieldError("until", "is before since"))
    if errors:
        raise InvalidInput("bad audit filter", errors=errors)
    query: Select[AuditEntry] = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if actor:
        kind, actor_id = _parse_actor(actor)
        query = query.where(AuditEntry.actor_kind == kind)
        if actor_id is not None:
            query = query.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        query = query.where(AuditEntry.action == AuditAction(action).value)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    if cursor is not None:
        query = query.where(AuditEntry.id < cursor)
    rows = session.scalars(query).all()
    items = [entry_read(e) for e in rows[:limit]]
    return AuditEntryPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


def entry_read(entry: AuditEntry) -> AuditEntryRead:
    actor = f"{entry.actor_kind}:{entry.actor_id}" if entry.actor_id else entry.actor_kind
    return AuditEntryRead(
        id=entry.id,
        at=entry.at,
        action=entry.action,
        actor=actor,
        actor_name=entry.actor_name,
        actor_role=entry.actor_role,
        ip=entry.ip,
        user_agent=entry.user_agent,
        target_type=entry.target_type,
        target_id=entry.target_id,
        changes=entry.changes,
    )


def purge_older_than(session: Session, *, cutoff: datetime, limit: int | None = None) -> int:
    """Delete the entries recorded before `cutoff` (the oldest `limit` of them when given); how many. Retention only:
    nothing else may delete them.

    Leaves one `audit.purged` entry saying how many went and up to when, so the purge itself is on the record."""
    doomed = select(AuditEntry.id).where(AuditEntry.at < cutoff).order_by(AuditEntry.id)
    if limit is not None:
        doomed = doomed.limit(limit)
    # On failure the caller's rollback undoes the switch as well.
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text(f"SET LOCAL {append_only.RETENTION_SETTING} = 'on'"))
    else:
        session.execute(insert(AuditPurgeGuard).values(id=1))
    statement = delete(AuditEntry).where(AuditEntry.id.in_(doomed.scalar_subquery()))
    result = cast("CursorResult[Any]", session.execute(statement))
    deleted = result.rowcount or 0
    if postgresql:
        session.execute(text(f"SET LOCAL {append_only.RETENTION_SETTING} = 'off'"))
    else:
        session.execute(delete(AuditPurgeGuard))
    if deleted:
        record(
            session,
            actor=_RETENTION_ACTOR,
            action=AuditAction.audit_purged,
            changes={"deleted": deleted, "before": cutoff},
        )
    return deleted


def audit_retention(session: Session, *, before: datetime, action: str, limit: int | None) -> int:  # noqa: ARG001
    """The retention policy's hook (privacy/retention.py): how many entries are older than `before` (a dry run,
    `limit` None), or delete at most `limit` of them. Entries are only ever deleted, never anonymised."""
    if limit is None:
        return int(session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.at < before)) or 0)
    return purge_older_than(session, cutoff=before, limit=limit)
