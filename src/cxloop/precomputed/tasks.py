"""The precomputed analyses' jobs: compute one result on request, and the sweep that refreshes stale results every
minute (docs/web-app.md, "Precomputed analyses")."""

from __future__ import annotations

import logging
import time
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from cxloop import jobs
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload
from cxloop.precomputed import service as precomputed
from cxloop.storage.database import Database

log = logging.getLogger(__name__)

SWEEP_JOB = "precomputed.sweep"
SWEEP_BUDGET_SECONDS = 40.0  # no new computation starts after this: one sweep a minute, one worker thread


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


class RefreshPayload(BaseModel):
    """Which stored result to compute (precomputed_results.id)."""

    model_config = ConfigDict(extra="forbid")
    result_id: int


@jobs.handler(precomputed.REFRESH_JOB, RefreshPayload)
def refresh_result(runtime: Runtime, payload: RefreshPayload) -> None:
    """Compute one stored result now (a page had none, or an analyst asked for a refresh)."""
    precomputed.refresh(runtime.database, result_id=payload.result_id, now=utcnow())


@jobs.periodic(SWEEP_JOB, minutes=1)
def sweep(runtime: Runtime, _: NoPayload) -> None:
    """Refresh the results viewed in the last week whose data changed (or were asked for), the longest waiting
    first, until SWEEP_BUDGET_SECONDS are spent; prune the rest; record the sweep (pages read it as "a worker
    runs")."""
    started, now = time.perf_counter(), utcnow()
    with runtime.database.unit_of_work(write=True) as session:
        stamp = precomputed.current_stamp(session, now=now)
        ids = precomputed.stale_ids(session, stamp=stamp, now=now)
        precomputed.mark_updating(session, ids=ids, now=now)
        pruned = precomputed.prune(session, now=now)
    refreshed = 0
    for result_id in ids:
        if time.perf_counter() - started > SWEEP_BUDGET_SECONDS:
            break
        try:
            refreshed += precomputed.refresh(runtime.database, result_id=result_id, now=utcnow())
        except Exception:  # one failing analysis must not stop the others; it is tried again next sweep
            log.exception("precomputed sweep: result %d could not be computed", result_id)
    with runtime.database.unit_of_work(write=True) as session:
        precomputed.record_sweep(session, now=now, refreshed=refreshed, seconds=time.perf_counter() - started)
    if ids or pruned:
        log.info("precomputed sweep: %d of %d stale results refreshed, %d pruned", refreshed, len(ids), pruned)
