"""The inbox's panel of the signed-in user's bulk runs (an action on every case of a filter that the worker runs,
cases/service/bulk_runs.py): how far each got, its counts when done, and, while no worker runs, that it is queued.
While a run goes the panel polls the inbox for itself every few seconds (HTMX, as the stored analyses' panels do)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from cxloop.cases import service as cases
from cxloop.core.clock import utcnow
from cxloop.precomputed import service as precomputed
from cxloop.web.service import SignedIn

SHOWN_FOR = timedelta(hours=1)  # a finished run stays on the inbox this long


@dataclass(frozen=True)
class BulkRunsPanel:
    """The runs to show, whether any is still going (the panel polls then), and whether a worker runs."""

    runs: list[cases.BulkRunRead]
    going: bool
    worker_running: bool


def bulk_runs_panel(session: Session, user: SignedIn) -> BulkRunsPanel:
    """The signed-in user's runs going, or finished within SHOWN_FOR."""
    now = utcnow()
    runs = cases.recent_bulk_runs(session, user_id=user.user_id, since=now - SHOWN_FOR)
    going = any(run.finished_at is None for run in runs)
    # The worker's precomputed sweep every minute is its sign of life (as the stored analyses read it).
    return BulkRunsPanel(runs, going, precomputed.worker_running(session, now=now) if going else True)
