"""The notifications domain's outbox handlers (one per notifiable event: each fans the event out to a message per
subscribed destination) and its periodic job (delivered messages are kept a week, then deleted)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload
from cxloop.jobs.events import NOTIFIABLE
from cxloop.notifications import service as notifications
from cxloop.storage.database import Database

log = logging.getLogger(__name__)

PRUNE_JOB = "notifications.prune_messages"
KEEP = timedelta(days=7)


def queue_messages(session: Session, event: jobs.Event[Any]) -> None:
    """A message per destination subscribed to the event (idempotent per event and destination)."""
    count = notifications.queue_event(
        session,
        event_id=event.id,
        name=event.name,
        payload=event.payload.model_dump(),
        created_at=event.created_at,
        now=utcnow(),
    )
    if count:
        log.info("outbox event %d (%s): queued for %d notification destination(s)", event.id, event.name, count)


for _name in NOTIFIABLE:  # handler names are part of the deliveries' idempotency key: keep them stable
    jobs.on(_name, name=f"notifications.queue_messages.{_name}")(queue_messages)


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


@jobs.periodic(PRUNE_JOB, minutes=60)
def prune_messages(runtime: Runtime, _: NoPayload) -> None:
    """Delete messages delivered more than a week ago, 10,000 per transaction."""
    while True:
        with runtime.database.unit_of_work(write=True) as session:
            count = notifications.prune_delivered(session, before=utcnow() - KEEP)
        if count < 10_000:
            break
