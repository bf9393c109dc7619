"""The jobs domain's own periodic job: handled outbox events are kept a week, then deleted."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from cxloop import jobs
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload
from cxloop.jobs import service as outbox
from cxloop.storage.database import Database

log = logging.getLogger(__name__)

PRUNE_JOB = "jobs.prune_outbox"
KEEP = timedelta(days=7)


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


@jobs.periodic(PRUNE_JOB, minutes=60)
def prune_outbox(runtime: Runtime, _: NoPayload) -> None:
    """Delete events older than a week whose handlers are all done, 10,000 per transaction."""
    pruned = 0
    while True:
        with runtime.database.unit_of_work(write=True) as session:
            count = outbox.prune_outbox(session, before=utcnow() - KEEP)
        pruned += count
        if count < 10_000:
            break
    if pruned:
        log.info("outbox: %d handled events older than %s deleted", pruned, KEEP)
