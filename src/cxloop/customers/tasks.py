"""The customers domain's jobs: the hourly segment refresh, and its outbox handler for `customer.updated`."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.customers import service as customers
from cxloop.jobs import NoPayload
from cxloop.jobs.events import CUSTOMER_UPDATED
from cxloop.storage.database import Database

log = logging.getLogger(__name__)

REFRESH_SEGMENTS_JOB = "customers.refresh_segments"


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


@jobs.periodic(REFRESH_SEGMENTS_JOB, minutes=60)
def refresh_segments(runtime: Runtime, _: NoPayload) -> None:
    """Recompute every segment's members: tenure and event windows drift as days pass (the metrics' segment rollups
    move with the members). Before the time-rule sweep, so rules scoped to a segment see today's members."""
    with runtime.database.unit_of_work(write=True) as session:
        changes = customers.refresh_all_segments(session)
    moved = sum(len(c.added) + len(c.removed) for c in changes)
    if moved:
        log.info("segments refreshed: %d memberships changed", moved)


@jobs.on(CUSTOMER_UPDATED)
def note_customers_updated(session: Session, event: jobs.Event[Any]) -> None:  # noqa: ARG001
    """Proves the outbox plumbing for `customer.updated` (a log line); reactions to customer changes go here."""
    log.info("outbox event %d: %d customers created or updated", event.id, len(event.payload.customer_ids))
