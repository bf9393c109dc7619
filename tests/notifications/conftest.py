"""Notification test helpers: a real local receiver, destinations made through the service, events stored through
the real collection service and moved by the real relay and sender."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from cxloop.collection import service as collection
from cxloop.collection.schemas import FeedbackCreate
from cxloop.core.clock import utcnow
from cxloop.notifications import service as notifications
from cxloop.notifications.enums import DestinationKind
from cxloop.notifications.models import Destination, Message
from cxloop.notifications.schemas import DestinationCreate, DestinationCreated
from cxloop.notifications.sender import Sender, SendPolicy
from cxloop.storage.database import Database
from cxloop.worker import build_relay
from tests.notifications.receiver import receiver as receiver  # noqa: F401 - the fixture

FAST = SendPolicy(timeout_seconds=2.0, backoff_seconds=1.0, probe_backoff_seconds=1.0, threads=8)


def add_destination(
    db: Database, url: str, *, kind: DestinationKind = DestinationKind.webhook, events: list[str] | None = None
) -> DestinationCreated:
    with db.unit_of_work(write=True) as session:
        return notifications.create_destination(
            session, DestinationCreate(url=url, kind=kind, events=events), now=utcnow()
        )


_count = 0


def store_feedback(
    db: Database, n: int = 1, *, text: str = "The app crashed at checkout", rating: int = 1
) -> list[int]:
    """`n` feedback items in one batch (one feedback.received event), fanned out by the real relay."""
    global _count
    items = []
    for _ in range(n):
        _count += 1
        items.append(
            FeedbackCreate(
                kind="review",
                source="trustpilot",
                external_id=f"tp-{_count}",
                channel="review",
                text=text,
                rating=rating,
            )
        )
    with db.unit_of_work(write=True) as session:
        ids = collection.record_feedback(session, items=items).ids
    relay = build_relay(db)
    while relay.run_pass():
        pass
    return ids


def sender(db: Database, policy: SendPolicy = FAST) -> Sender:
    return Sender(db, public_url="https://cx.example.com", policy=policy)


def later(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)


def messages(db: Database) -> list[Message]:
    with db.unit_of_work() as session:
        rows = list(session.scalars(select(Message).order_by(Message.id)))
        session.expunge_all()
        return rows


def destination(db: Database, destination_id: int) -> Destination:
    with db.unit_of_work() as session:
        row = session.get_one(Destination, destination_id)
        session.expunge(row)
        return row
