"""The notifications service: destinations and their health, fanning events out to messages, dead letters.

Sending is the sender's (sender.py, run by `cxloop worker`); everything here is a short database transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.errors import UserNotFound
from cxloop.jobs.events import NOTIFIABLE
from cxloop.notifications import bodies, signing
from cxloop.notifications.enums import DestinationKind, MessageStatus
from cxloop.notifications.errors import DestinationNotFound, MessageNotFound
from cxloop.notifications.models import Destination, Message
from cxloop.notifications.schemas import (
    DestinationCreate,
    DestinationCreated,
    DestinationRead,
    MessagePage,
    MessageQueued,
    MessageRead,
    read_fields,
)
from cxloop.storage.dialect_insert import dialect_insert

_PENDING = MessageStatus.pending.value
_DEAD = MessageStatus.dead.value


def new_webhook_id() -> str:
    """A message's stable id, the `webhook-id` header of every attempt."""
    return f"msg_{uuid.uuid4().hex}"


def create_destination(session: Session, data: DestinationCreate, *, now: datetime) -> DestinationCreated:
    """Register a destination; the answer holds its signing secret, shown this once."""
    destination = Destination(
        kind=data.kind.value,
        url=data.url,
        events=data.events,
        secret=signing.new_secret() if data.kind is DestinationKind.webhook else None,
        description=data.description,
        created_at=now,
        failures_in_a_row=0,
    )
    session.add(destination)
    session.flush()
    return DestinationCreated(**read_fields(destination), secret=destination.secret)


def _require(session: Session, destination_id: int, *, lock: bool = False) -> Destination:
    destination = session.get(Destination, destination_id, with_for_update=lock)
    if destination is None:
        raise DestinationNotFound(f"no webhook destination has id {destination_id}")
    return destination


def _counts(session: Session, ids: list[int]) -> dict[tuple[int, str], int]:
    query = (
        select(Message.destination_id, Message.status, func.count())
        .where(Message.destination_id.in_(ids), Message.status.in_((_PENDING, _DEAD)))
        .group_by(Message.destination_id, Message.status)
    )
    return {(d, s): n for d, s, n in session.execute(query)}


def list_destinations(session: Session) -> list[DestinationRead]:
    """Every destination with its health and how many messages wait or are dead."""
    rows = list(session.scalars(select(Destination).order_by(Destination.id)))
    counts = _counts(session, [d.id for d in rows])
    return [
        DestinationRead(**read_fields(d), pending=counts.get((d.id, _PENDING), 0), dead=counts.get((d.id, _DEAD), 0))
        for d in rows
    ]


def get_destination(session: Session, *, destination_id: int) -> DestinationRead:
    d = _require(session, destination_id)
    counts = _counts(session, [d.id])
    return DestinationRead(**read_fields(d), pending=counts.get((d.id, _PENDING), 0), dead=counts.get((d.id, _DEAD), 0))


def remove_destination(session: Session, *, destination_id: int) -> None:
    """Delete a destination and its messages (sent or not)."""
    destination = _require(session, destination_id)
    session.execute(delete(Message).where(Message.destination_id == destination.id))
    session.delete(destination)
    session.flush()


def resume_destination(session: Session, *, destination_id: int, now: datetime) -> DestinationRead:
    """Clear a pause (or a failing streak): the waiting messages are due at once."""
    destination = _require(session, destination_id, lock=True)
    destination.paused_at = destination.pause_reason = destination.retry_at = None
    destination.failures_in_a_row = 0
    session.execute(
        update(Message)
        .where(Message.destination_id == destination_id, Message.status == _PENDING)
        .values(next_attempt_at=now)
    )
    session.flush()
    return get_destination(session, destination_id=destination_id)


def queue_probe(session: Session, *, destination_id: int, now: datetime) -> MessageQueued:
    """Queue a `webhook.test` message to one destination (sent by the worker, or at once by `cxloop webhooks test`)."""
    destination = _require(session, destination_id)
    body = bodies.probe_body(destination_id=destination.id, now=now)
    [message_id] = queue_direct(session, destination_ids=[destination.id], name="webhook.test", body=body, now=now)
    message = session.get_one(Message, message_id)
    return MessageQueued(message_id=message.id, webhook_id=message.webhook_id)


def subscribers(session: Session, event_name: str) -> list[int]:
    """Destinations (paused ones too: their queue keeps growing) subscribed to `event_name`."""
    rows = session.execute(select(Destination.id, Destination.events).where(Destination.user_id.is_(None)))
    return [d_id for d_id, events in rows if events is None or event_name in events]


def queue_event(
    session: Session, *, event_id: int, name: str, payload: dict[str, Any], created_at: datetime, now: datetime
) -> int:
    """One message per subscribed destination for an outbox event; idempotent per (event, destination), so a
    replayed event adds nothing. How many destinations the event goes to."""
    if name not in NOTIFIABLE:
        return 0
    destination_ids = subscribers(session, name)
    if not destination_ids:
        return 0
    body = bodies.event_body(session, name=name, payload=payload, created_at=created_at)
    return insert_messages(session, destination_ids=destination_ids, event_id=event_id, name=name, body=body, now=now)


def insert_messages(
    session: Session,
    *,
    destination_ids: list[int],
    event_id: int | None,
    name: str,
    body: dict[str, Any],
    now: datetime,
) -> int:
    """A pending message with `body` to each destination; idempotent per (event, destination) for an event's."""
    rows = [
        {
            "webhook_id": new_webhook_id(),
            "destination_id": destination_id,
            "event_id": event_id,
            "event_name": name,
            "body": body,
            "status": _PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for destination_id in destination_ids
    ]
    insert = dialect_insert(session, _MESSAGES).on_conflict_do_nothing(index_elements=["event_id", "destination_id"])
    session.execute(insert, rows)
    return len(rows)


_MESSAGES: Table = Message.__table__  # type: ignore[assignment]


def list_messages(
    session: Session,
    *,
    status: MessageStatus | None = None,
    destination_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> MessagePage:
    """Messages, newest first; `status=dead` lists the dead letters."""
    query = select(Message)
    if status is not None:
        query = query.where(Message.status == status.value)
    if destination_id is not None:
        query = query.where(Message.destination_id == destination_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Message.id.desc()).limit(limit).offset(offset))
    items = [MessageRead.model_validate(m, from_attributes=True) for m in rows]
    return MessagePage(items=items, total=total, limit=limit, offset=offset)


def retry_dead(
    session: Session, *, message_ids: list[int] | None = None, destination_id: int | None = None, now: datetime
) -> int:
    """Dead messages go again with fresh attempts (all of them, a destination's, or these); how many."""
    query = update(Message).where(Message.status == _DEAD)
    if message_ids is not None:
        query = query.where(Message.id.in_(message_ids))
    if destination_id is not None:
        query = query.where(Message.destination_id == destination_id)
    result = session.execute(query.values(status=_PENDING, attempts=0, next_attempt_at=now, created_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]


def require_message(session: Session, *, message_id: int) -> MessageRead:
    message = session.get(Message, message_id)
    if message is None:
        raise MessageNotFound(f"no notification message has id {message_id}")
    return MessageRead.model_validate(message, from_attributes=True)


def prune_delivered(session: Session, *, before: datetime, limit: int = 10_000) -> int:
    """Delete up to `limit` messages delivered before `before` (their bodies may hold comments); how many."""
    ids = list(
        session.scalars(
            select(Message.id)
            .where(Message.status == MessageStatus.delivered.value, Message.delivered_at < before)
            .limit(limit)
        )
    )
    for start in range(0, len(ids), 1_000):
        session.execute(delete(Message).where(Message.id.in_(ids[start : start + 1_000])))
    return len(ids)


Rewrite = Callable[[str, dict[str, Any]], dict[str, Any] | None]
# body data key -> erased table: items of these lists carry an "id" and "customer_id"
_SUMMARY_TABLES = {
    "responses": "responses",
    "feedback": "feedback_items",
    "alerts": "alerts",
    "cases": "cases",
    "detractors": "responses",
}


def scrub_messages(session: Session, *, rewrite: Rewrite, erased: Mapping[str, set[int]]) -> dict[str, int]:
    """An erasure in messages not yet pruned: summaries of the erased customer's responses and feedback go, their
    ids go through `rewrite` (privacy's payload rewrite), and a message left with nothing is deleted."""
    customers = erased.get("customers", set())
    changed, gone, last = 0, [], 0
    while rows := session.execute(
        select(Message.id, Message.event_name, Message.body).where(Message.id > last).order_by(Message.id).limit(1_000)
    ).all():
        last = rows[-1].id
        for row in rows:
            data = dict(row.body.get("data", {}))
            for key, table in _SUMMARY_TABLES.items():
                if isinstance(data.get(key), list):
                    ids = erased.get(table, set())
                    data[key] = [i for i in data[key] if i["id"] not in ids and i.get("customer_id") not in customers]
            new = rewrite(row.event_name, data)
            if new is None:
                gone.append(row.id)
            elif new != row.body.get("data"):
                session.execute(update(Message).where(Message.id == row.id).values(body={**row.body, "data": new}))
                changed += 1
    for start in range(0, len(gone), 1_000):
        session.execute(delete(Message).where(Message.id.in_(gone[start : start + 1_000])))
    return {"notification_messages_scrubbed": changed, "notification_messages_deleted": len(gone)}


def person_destination(session: Session, *, user_id: int, now: datetime) -> int | None:
    """The destination of a user's own inbox (escalations, digests): made on first use, its address kept up to date
    with the user's email; None for a user who is gone or inactive."""
    try:
        user = access.require_user(session, user_id=user_id)
    except UserNotFound:
        return None
    if not user.is_active:
        return None
    url = f"mailto:{user.email}"
    destination = session.scalar(select(Destination).where(Destination.user_id == user_id))
    if destination is None:
        destination = Destination(
            kind=DestinationKind.email.value,
            url=url,
            events=[],
            secret=None,
            description=f"the inbox of user {user_id}: SLA escalations and weekly digests",
            created_at=now,
            failures_in_a_row=0,
            user_id=user_id,
        )
        session.add(destination)
        session.flush()
    elif destination.url != url:
        destination.url = url
    return destination.id


def queue_direct(
    session: Session, *, destination_ids: list[int], name: str, body: dict[str, Any], now: datetime
) -> list[int]:
    """A message with `body` to each destination, of no outbox event (a weekly digest, a test message); their ids."""
    made = [
        Message(
            webhook_id=new_webhook_id(),
            destination_id=destination_id,
            event_id=None,
            event_name=name,
            body=body,
            status=_PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for destination_id in destination_ids
    ]
    session.add_all(made)
    session.flush()
    return [m.id for m in made]
