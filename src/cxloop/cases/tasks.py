"""The cases domain's job: the SLA sweep, every minute (warnings before due, breaches once, escalation)."""

from __future__ import annotations

import logging
from typing import Protocol

from cxloop import jobs
from cxloop.cases import service as cases
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload
from cxloop.storage.database import Database

log = logging.getLogger(__name__)

SLA_SWEEP_JOB = "cases.sweep_sla"


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


@jobs.periodic(SLA_SWEEP_JOB, minutes=1)
def sweep_sla(runtime: Runtime, _: NoPayload) -> None:
    """Record and emit the SLA warnings and breaches that came due (500 per clock and transaction, until done)."""
    while True:
        with runtime.database.unit_of_work(write=True) as session:
            result = cases.sweep(session, now=utcnow())
        if result.warnings or result.breaches:
            log.info("SLA sweep: %d warnings, %d breaches, %d escalated", *vars(result).values())
        if not result.more:
            return
