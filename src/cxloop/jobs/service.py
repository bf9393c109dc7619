"""Looking after the outbox: its status, retrying dead letters, and replaying events to their handlers."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.core.errors import InvalidInput
from cxloop.jobs.enums import DeliveryStatus
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.jobs.schemas import DeadLetter, DeliveryCount, OutboxStatus

_RESET = {
    "status": DeliveryStatus.pending.value,
    "attempts": 0,
    "leased_until": None,
    "lease_token": None,
    "done_at": None,
}


def outbox_status(session: Session, *, dead_limit: int = 100, now: datetime | None = None) -> OutboxStatus:
    """Counts per event, handler and status; the age of the oldest waiting event; the newest dead letters."""
    now = now or utcnow()
    counts = session.execute(
        select(OutboxEvent.name, OutboxDelivery.handler, OutboxDelivery.status, func.count())
        .join(OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id)
        .group_by(OutboxEvent.name, OutboxDelivery.handler, OutboxDelivery.status)
        .order_by(OutboxEvent.name, OutboxDelivery.handler, OutboxDelivery.status)
    ).all()
    unrelayed = session.scalar(select(func.count()).where(OutboxEvent.relayed_at.is_(None))) or 0
    waiting = select(OutboxEvent.created_at).where(OutboxEvent.relayed_at.is_(None))
    pending = (
        select(OutboxEvent.created_at)
        .join(OutboxDelivery, OutboxDelivery.event_id == OutboxEvent.id)
        .where(OutboxDelivery.status == DeliveryStatus.pending.value)
    )
    oldest = min(
        (at for at in (session.scalar(q.order_by(OutboxEvent.id).limit(1)) for q in (waiting, pending)) if at),
        default=None,
    )
    dead = session.execute(
        select(OutboxDelivery, OutboxEvent.name, OutboxEvent.created_at)
        .join(OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id)
        .where(OutboxDelivery.status == DeliveryStatus.dead.value)
        .order_by(OutboxDelivery.id.desc())
        .limit(dead_limit)
    ).all()
    return OutboxStatus(
        counts=[DeliveryCount(event=e, handler=h, status=s, count=n) for e, h, s, n in counts],
        unrelayed_events=unrelayed,
        oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
        dead=[
            DeadLetter(
                delivery_id=d.id,
                event_id=d.event_id,
                event=name,
                handler=d.handler,
                attempts=d.attempts,
                last_error=d.last_error,
                last_duration_ms=d.last_duration_ms,
                created_at=created_at,
            )
            for d, name, created_at in dead
        ],
    )


def retry_dead(session: Session, *, delivery_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Dead deliveries (all, or those named) become pending with fresh attempts; how many."""
    query = update(OutboxDelivery).where(OutboxDelivery.status == DeliveryStatus.dead.value)
    if delivery_ids is not None:
        query = query.where(OutboxDelivery.id.in_(delivery_ids))
    result = session.execute(query.values(**_RESET, next_attempt_at=now or utcnow()))
    return int(result.rowcount)  # type: ignore[attr-defined]


def replay_events(
    session: Session,
    *,
    event_ids: list[int] | None = None,
    name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Hand the chosen events to all their handlers again (also handlers registered since); how many events.

    The handlers run once more: each must tolerate that (an effect keyed by the event id is not repeated)."""
    if event_ids is None and name is None and since is None and until is None:
        raise InvalidInput("say which events to replay: ids, a name or a time range")
    chosen = select(OutboxEvent.id)
    if event_ids is not None:
        chosen = chosen.where(OutboxEvent.id.in_(event_ids))
    if name is not None:
        chosen = chosen.where(OutboxEvent.name == name)
    if since is not None:
        chosen = chosen.where(OutboxEvent.created_at >= since)
    if until is not None:
        chosen = chosen.where(OutboxEvent.created_at < until)
    ids = list(session.scalars(chosen))
    for start in range(0, len(ids), 1_000):
        part = ids[start : start + 1_000]
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(part)).values(relayed_at=None))
        session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.event_id.in_(part))
            .values(**_RESET, last_error=None, next_attempt_at=now or utcnow())
        )
    return len(ids)


def prune_outbox(session: Session, *, before: datetime, limit: int = 10_000) -> int:
    """Delete up to `limit` events stored before `before` whose every delivery is done (their deliveries go with
    them); pending and dead work stays. How many events."""
    unfinished = select(OutboxDelivery.event_id).where(OutboxDelivery.status != DeliveryStatus.done.value)
    ids = list(
        session.scalars(
            select(OutboxEvent.id)
            .where(
                OutboxEvent.created_at < before,
                OutboxEvent.relayed_at.is_not(None),
                OutboxEvent.id.not_in(unfinished),
            )
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
    )
    for start in range(0, len(ids), 1_000):
        part = ids[start : start + 1_000]
        session.execute(delete(OutboxDelivery).where(OutboxDelivery.event_id.in_(part)))
        session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(part)))
    return len(ids)


@dataclass(frozen=True)
class OutboxRecord:
    """An outbox event as live streams read it: its id (the stream's event id), name and payload (ids only)."""

    id: int
    name: str
    payload: dict[str, Any]


def last_event_id(session: Session) -> int:
    """The id of the newest outbox event (0 when there is none)."""
    return session.scalar(select(func.max(OutboxEvent.id))) or 0


def events_after(
    session: Session, *, after_id: int, names: Collection[str], limit: int, up_to: int | None = None
) -> list[OutboxRecord]:
    """Up to `limit` events named `names` with an id above `after_id` (and at most `up_to`), oldest first."""
    query = select(OutboxEvent.id, OutboxEvent.name, OutboxEvent.payload).where(
        OutboxEvent.id > after_id, OutboxEvent.name.in_(sorted(names))
    )
    if up_to is not None:
        query = query.where(OutboxEvent.id <= up_to)
    rows = session.execute(query.order_by(OutboxEvent.id).limit(limit)).all()
    return [OutboxRecord(id=row.id, name=row.name, payload=dict(row.payload)) for row in rows]
