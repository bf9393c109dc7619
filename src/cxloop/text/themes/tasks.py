"""Themes' outbox handlers: new response comments and feedback texts get the taxonomy's themes (the rules they match
and the nearest discovered theme, by MiniLM vectors or by key terms) within seconds: matched with no transaction
open, stored in a short one. A replay rewrites the
same rows (service.assign_items replaces an item's themes), so it changes nothing.

And the discovery runs the API queues: run at once when queued, and by a sweep every minute (a queue message lost,
or a worker killed mid-run whose lease ran out)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.jobs import NoPayload
from cxloop.jobs.events import FEEDBACK_RECEIVED, RESPONSE_RECEIVED
from cxloop.storage.database import Database
from cxloop.text.themes import runs
from cxloop.text.themes import service as themes
from cxloop.text.themes.enums import ItemKind
from cxloop.text.themes.schemas import RunToDo

log = logging.getLogger(__name__)


def match_responses(database: Database, event: jobs.Event[Any]) -> themes.Matched:
    return themes.match_items(database, kind=ItemKind.response, ids=event.payload.response_ids)


def match_feedback(database: Database, event: jobs.Event[Any]) -> themes.Matched:
    return themes.match_items(database, kind=ItemKind.feedback, ids=event.payload.feedback_ids)


# Matching (MiniLM encodes the comments when the themes were discovered on its vectors) is the prepare step, with
# no transaction open; the handler stores, re-checking items and themes.
@jobs.on(RESPONSE_RECEIVED, name="text.themes.assign_responses", prepare=match_responses)
def assign_responses(session: Session, event: jobs.Event[Any]) -> None:
    count = themes.store_matched(session, event.prepared)
    log.debug("outbox event %d: %d responses got themes", event.id, count)


@jobs.on(FEEDBACK_RECEIVED, name="text.themes.assign_feedback", prepare=match_feedback)
def assign_feedback(session: Session, event: jobs.Event[Any]) -> None:
    count = themes.store_matched(session, event.prepared)
    log.debug("outbox event %d: %d feedback items got themes", event.id, count)


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
