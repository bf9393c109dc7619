"""The cases domain's job, the SLA sweep every minute (warnings before due, breaches once, escalation), and its
outbox handlers for `case.*`: for now a log line per event; webhooks, Slack and alert rules register their own
(docs/development/events-and-outbox.md)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.cases import service as cases
from cxloop.cases.service import bulk_runs
from cxloop.core.clock import utcnow
from cxloop.core.int_bounds import JsonId
from cxloop.jobs import NoPayload
from cxloop.jobs import events as event_names
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


CASE_EVENTS = (
    event_names.CASE_CREATED,
    event_names.CASE_UPDATED,
    event_names.CASE_RESOLVED,
    event_names.CASE_CLOSED,
    event_names.CASE_SLA_WARNING,
    event_names.CASE_SLA_BREACHED,
)


def note_case_event(session: Session, event: jobs.Event[Any]) -> None:  # noqa: ARG001
    """Log what a case event is about."""
    log.info("outbox event %d (%s): %s", event.id, event.name, event.payload.model_dump())


for _name in CASE_EVENTS:
    jobs.on(_name, name=f"cases.note_{_name.removeprefix('case.')}")(note_case_event)


class BulkRunToDo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: JsonId


@jobs.handler(bulk_runs.RUN_JOB, BulkRunToDo)
def run_bulk(runtime: Runtime, payload: BulkRunToDo) -> None:
    """An inbox action on every case of a filter, confirmed in the web app: run to its end, a chunk per transaction."""
    bulk_runs.execute(runtime.database, run_id=payload.run_id)


@jobs.periodic(bulk_runs.RESUME_JOB, minutes=1)
def resume_bulk_runs(runtime: Runtime, _: NoPayload) -> None:
    """Runs whose job was lost or whose worker died (no progress for a while): on from their last chunk; and
    finished runs past their keeping time are forgotten."""
    with runtime.database.unit_of_work() as session:
        stalled = bulk_runs.stalled_run_ids(session, now=utcnow())
    for run_id in stalled:
        log.info("resuming bulk run %d", run_id)
        bulk_runs.execute(runtime.database, run_id=run_id)
    with runtime.database.unit_of_work(write=True) as session:
        bulk_runs.prune_bulk_runs(session, now=utcnow())
