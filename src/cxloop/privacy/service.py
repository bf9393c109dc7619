"""The privacy domain's public API: access (export) and erasure of one person's data, the erasure records, and the
retention policies. Functions take a Session, flush, never commit; after an erasure commits, the caller runs
`privacy.cleanup.finish_erasure` (queue payloads, SQLite's write-ahead log)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError
from cxloop.customers import service as customers
from cxloop.jobs import privacy as outbox
from cxloop.notifications import service as notifications
from cxloop.privacy.enums import RetentionAction
from cxloop.privacy.errors import InvalidRetentionPolicy, UnknownDataKind
from cxloop.privacy.holders import Subject, erased_ids, holders, payload_rewrite
from cxloop.privacy.models import ErasureRecord, RetentionPolicy
from cxloop.privacy.retention import RetentionKind, kinds
from cxloop.privacy.schemas import (
    CustomerExport,
    ErasurePage,
    ErasureRead,
    RetentionKindRead,
    RetentionPolicyUpdate,
    RetentionRun,
    RetentionRunItem,
)
from cxloop.storage.text_scrub import usable_needles

RETENTION_BATCH = 5_000  # rows per kind per transaction


def find_subject(session: Session, *, reference: str) -> Subject:
    """The customer a request names (external id, email or cxloop id: customers.find_customer)."""
    customer = customers.find_customer(session, reference=reference)
    return Subject(
        customer_id=customer.id,
        external_id=customer.external_id,
        email=customer.email,
        phone=customer.phone,
        name=customer.name,
    )


def _export(session: Session, subject: Subject) -> dict[str, dict[str, list[dict[str, object]]]]:
    return {holder.name: holder.export(session, subject) for holder in holders}


def export_customer(session: Session, *, reference: str, now: datetime | None = None) -> CustomerExport:
    """Everything every data holder keeps about the customer (NotFound when no customer matches)."""
    subject = find_subject(session, reference=reference)
    return CustomerExport(
        customer_id=subject.customer_id, generated_at=now or utcnow(), holders=_export(session, subject)
    )


@dataclass(frozen=True)
class Erasure:
    """An erasure done in the caller's transaction: its record, and the erased ids `finish_erasure` needs."""

    record: ErasureRead
    erased: dict[str, set[int]] = field(default_factory=dict)


def erase_customer(session: Session, *, reference: str, requested_by: str, now: datetime | None = None) -> Erasure:
    """Remove the customer everywhere: every holder's rows (rollups follow), their identifiers in other rows' free
    text, their ids in outbox payloads; record who asked and how many rows of each kind went."""
    subject = find_subject(session, reference=reference)
    if session.get_bind().dialect.name == "sqlite":
        # Deleted and rewritten content is overwritten with zeros, not left in free space of the file.
        session.execute(text("PRAGMA secure_delete = ON"))
    erased = erased_ids(subject, _export(session, subject))
    removed: dict[str, int] = {}
    for holder in holders:
        for kind, count in holder.erase(session, subject).items():
            removed[kind] = removed.get(kind, 0) + count
    needles = usable_needles(subject.identifiers())
    removed["free_text_rows_scrubbed"] = sum(holder.scrub(session, needles) for holder in holders if holder.scrub)
    removed.update(outbox.scrub_outbox(session, rewrite=payload_rewrite(erased), needles=needles))
    removed.update(notifications.scrub_messages(session, rewrite=payload_rewrite(erased), erased=erased))
    record = ErasureRecord(
        customer_id=subject.customer_id, requested_by=requested_by, requested_at=now or utcnow(), removed=removed
    )
    session.add(record)
    session.flush()
    return Erasure(record=ErasureRead.model_validate(record), erased=erased)


def list_erasures(session: Session, *, limit: int = 50, offset: int = 0) -> ErasurePage:
    """Erasure records, newest first."""
    total = session.scalar(select(func.count()).select_from(ErasureRecord)) or 0
    rows = session.scalars(select(ErasureRecord).order_by(ErasureRecord.id.desc()).limit(limit).offset(offset))
    return ErasurePage(items=[ErasureRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


def _kind(name: str) -> RetentionKind:
    kind = kinds.get(name)
    if kind is None:
        raise UnknownDataKind(
            "unknown data kind", errors=[FieldError("kind", f"must be one of: {', '.join(kinds.names())}")]
        )
    return kind


def _kind_read(kind: RetentionKind, policy: RetentionPolicy | None) -> RetentionKindRead:
    return RetentionKindRead(
        kind=kind.name,
        description=kind.description,
        actions=list(kind.actions),
        keep_days=policy.keep_days if policy else None,
        action=RetentionAction(policy.action) if policy else None,
        updated_at=policy.updated_at if policy else None,
    )


def list_retention(session: Session) -> list[RetentionKindRead]:
    """Every data kind with its policy (none: kept forever)."""
    policies = {p.kind: p for p in session.scalars(select(RetentionPolicy))}
    return [_kind_read(kind, policies.get(kind.name)) for kind in kinds]


def set_retention_policy(session: Session, *, kind: str, data: RetentionPolicyUpdate) -> RetentionKindRead:
    """Keep `kind` for data.keep_days, then apply data.action; InvalidRetentionPolicy when the kind refuses it."""
    found = _kind(kind)
    if data.action not in found.actions:
        allowed = ", ".join(found.actions)
        raise InvalidRetentionPolicy("action not available", errors=[FieldError("action", f"{kind} allows: {allowed}")])
    policy = session.get(RetentionPolicy, kind)
    if policy is None:
        policy = RetentionPolicy(kind=kind)
        session.add(policy)
    policy.keep_days = data.keep_days
    policy.action = data.action.value
    policy.updated_at = utcnow()
    session.flush()
    return _kind_read(found, policy)


def delete_retention_policy(session: Session, *, kind: str) -> None:
    """Remove `kind`'s policy: its rows are kept forever again."""
    _kind(kind)
    session.execute(delete(RetentionPolicy).where(RetentionPolicy.kind == kind))


def apply_retention(
    session: Session, *, dry_run: bool, now: datetime | None = None, limit: int = RETENTION_BATCH
) -> RetentionRun:
    """One pass over every policy: a dry run counts the rows each would touch; otherwise each applies to at most
    `limit` rows (callers repeat, one transaction per pass, while a kind reports `limit`)."""
    now = now or utcnow()
    policies = {p.kind: p for p in session.scalars(select(RetentionPolicy))}
    items = []
    for kind in kinds:
        policy = policies.get(kind.name)
        if policy is None:
            continue
        cutoff = now - timedelta(days=policy.keep_days)
        rows = kind.apply(session, before=cutoff, action=policy.action, limit=None if dry_run else limit)
        items.append(
            RetentionRunItem(
                kind=kind.name,
                action=RetentionAction(policy.action),
                keep_days=policy.keep_days,
                cutoff=cutoff,
                rows=rows,
            )
        )
    session.flush()
    return RetentionRun(dry_run=dry_run, items=items)
