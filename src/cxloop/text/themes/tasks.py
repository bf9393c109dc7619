"""Themes' jobs: the discovery runs the API queues, run at once when queued and by a sweep every minute (a queue
message lost, or a worker killed mid-run whose lease ran out). New comments get their themes in the text domain's
enrichment (text/enrichment.py), with their sentiment, so alert rules on both read one stored analysis."""

from __future__ import annotations

from typing import Protocol

from cxloop import jobs
from cxloop.jobs import NoPayload
from cxloop.storage.database import Database
from cxloop.text.themes import runs
from cxloop.text.themes.schemas import RunToDo


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


@jobs.handler(runs.DISCOVER_JOB, RunToDo)
def discover(runtime: Runtime, payload: RunToDo) -> None:
    """A discovery run queued over the API."""
    runs.run_discovery(runtime.database, run_id=payload.run_id)


@jobs.periodic(runs.SWEEP_JOB, minutes=1)
def run_queued_discovery(runtime: Runtime, _: NoPayload) -> None:
    """Queued runs whose job was lost, and runs whose worker died (lease run out)."""
    for run_id in runs.due_runs(runtime.database):
        runs.run_discovery(runtime.database, run_id=run_id)
