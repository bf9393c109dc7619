"""Stored results of the slow analyses (registry.py): read them, queue their computation, compute and store them,
and find the stale ones (the worker's sweep, tasks.py).

A page reads the stored result of its analysis and parameters. While a worker runs (a sweep in the last
WORKER_SEEN) and the organisation holds more than `inline_up_to` responses and feedback items, the page never
computes: it shows the stored result with its time, or queues the computation and shows that it is running. Else
(a small organisation, or no worker to compute) it computes inline when the stored result is missing or stale,
and stores it, so the next view is cheap (docs/web-app.md, "Precomputed analyses").
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from cxloop.core.errors import InvalidInput
from cxloop.jobs import dispatch
from cxloop.precomputed import queries
from cxloop.precomputed.models import PrecomputedResult, PrecomputeSweep
from cxloop.precomputed.registry import ANALYSES, Analysis
from cxloop.storage.database import Database

R = TypeVar("R")

REFRESH_JOB = "precomputed.refresh"
KEEP_VIEWED = timedelta(days=7)  # results nobody viewed for this long are neither refreshed nor kept
VIEWED_EVERY = timedelta(hours=1)  # a view is written at most this often per result
WORKER_SEEN = timedelta(minutes=10)  # a sweep this recent means a worker runs (it sweeps every minute)
REQUEUE_AFTER = timedelta(minutes=10)  # a queued computation not done by then is queued again
KEEP_SWEEPS = timedelta(days=1)
# A result whose data changed is computed again at most this often (unless asked for): at 1M responses the six
# analyses take about a minute of one worker thread together, and answers arrive every few seconds.
REFRESH_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class Stored(Generic[R]):
    """What a page shows: the result (None while the first computation runs), when it was computed and in how
    many seconds, whether a newer one is being computed, and the stored InvalidInput of bad parameters."""

    id: int
    value: R | None
    computed_at: datetime | None
    seconds: float | None
    updating: bool
    error: dict[str, str] | None = None


@dataclass(frozen=True)
class Computed:
    """One computation's outcome, ready to store: the result's JSON or the error, the stamp it was computed over."""

    result: str | None
    error: str | None
    stamp: str
    seconds: float
    value: Any


def current_stamp(session: Session, *, now: datetime) -> str:
    """The data stamp (queries.py) as stored: JSON with sorted keys."""
    return json.dumps(queries.data_stamp(session, today=now.date()), sort_keys=True, separators=(",", ":"))


def is_fresh(analysis: Analysis[Any, Any], row: PrecomputedResult, *, stamp: str, now: datetime) -> bool:
    """Computed over the data as it is now (a stamp is stored only with a result or an error), and younger than
    the analysis' max_age."""
    return row.computed_at is not None and row.stamp == stamp and now - row.computed_at < analysis.max_age


def worker_running(session: Session, *, now: datetime) -> bool:
    latest = session.scalar(select(func.max(PrecomputeSweep.swept_at)))
    return latest is not None and now - latest < WORKER_SEEN


def computes_inline(session: Session, *, inline_up_to: int, now: datetime) -> bool:
    """Whether a page computes a missing or stale result itself: the organisation is small, or no worker runs."""
    small = queries.organisation_size(session, up_to=inline_up_to) <= inline_up_to
    return small or not worker_running(session, now=now)


def find(session: Session, analysis: Analysis[Any, R], params: Any) -> PrecomputedResult | None:
    return session.scalar(
        select(PrecomputedResult).where(
            PrecomputedResult.analysis == analysis.name, PrecomputedResult.params == analysis.key(params)
        )
    )


def get_result(session: Session, *, result_id: int) -> PrecomputedResult | None:
    return session.get(PrecomputedResult, result_id)


def error_of(row: PrecomputedResult) -> dict[str, str] | None:
    """The stored InvalidInput of the row's parameters: {"field": ..., "message": ...}."""
    return json.loads(row.error) if row.error else None


def wants_request(row: PrecomputedResult, *, now: datetime) -> bool:
    """Whether a view must write: the view itself is not noted for a while, or nothing is computed nor queued."""
    missing = row.result is None and row.error is None
    queued = row.requested_at is not None and now - row.requested_at < REQUEUE_AFTER
    return now - row.viewed_at >= VIEWED_EVERY or (missing and not queued)


def shown(analysis: Analysis[Any, R], row: PrecomputedResult) -> Stored[R]:
    """The stored row as a page reads it."""
    return Stored(
        id=row.id,
        value=analysis.load(row.result) if row.result is not None else None,
        computed_at=row.computed_at,
        seconds=row.seconds,
        updating=row.requested_at is not None,
        error=error_of(row),
    )


def _row(session: Session, analysis: Analysis[Any, Any], params: Any, *, now: datetime) -> PrecomputedResult:
    """The row of (analysis, params), inserted when missing (a concurrent insert of the same row is read back)."""
    found = find(session, analysis, params)
    if found is not None:
        return found
    row = PrecomputedResult(analysis=analysis.name, params=analysis.key(params), viewed_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = find(session, analysis, params)
        if found is None:
            raise
        return found
    return row


def request(
    session: Session, analysis: Analysis[Any, Any], params: Any, *, now: datetime, refresh: bool = False
) -> PrecomputedResult:
    """Note a view of (analysis, params); queue its computation when it has no result yet or `refresh` is asked,
    unless one was queued in the last REQUEUE_AFTER. The job goes to the queue when the transaction commits."""
    row = _row(session, analysis, params, now=now)
    if now - row.viewed_at >= VIEWED_EVERY:
        row.viewed_at = now
    queued = row.requested_at is not None and now - row.requested_at < REQUEUE_AFTER
    missing = row.result is None and row.error is None
    if (missing or refresh) and not queued:
        row.requested_at = now
        session.flush()
        dispatch.after_commit(session, REFRESH_JOB, {"result_id": row.id})
    session.flush()
    return row


def compute(
    session: Session, analysis: Analysis[Any, R], params: Any, *, now: datetime, stamp: str | None = None
) -> Computed:
    """Compute the analysis over the session's data. The stamp is read first: data arriving meanwhile makes the
    stored result stale, never falsely fresh. Bad parameters (InvalidInput) are stored as the error."""
    stamp = stamp or current_stamp(session, now=now)
    started = time.perf_counter()
    try:
        value = analysis.compute(session, params)
    except InvalidInput as exc:
        first = exc.errors[0] if exc.errors else None
        error = {"field": first.field if first else "filter", "message": first.message if first else exc.message}
        return Computed(None, json.dumps(error), stamp, time.perf_counter() - started, None)
    return Computed(analysis.dump(value), None, stamp, time.perf_counter() - started, value)


def store(
    session: Session, analysis: Analysis[Any, Any], params: Any, computed: Computed, *, now: datetime
) -> PrecomputedResult:
    """Store a computation as the result of (analysis, params); no refresh is pending after it."""
    row = _row(session, analysis, params, now=now)
    row.result, row.error, row.stamp = computed.result, computed.error, computed.stamp
    row.computed_at, row.seconds, row.requested_at = now, computed.seconds, None
    session.flush()
    return row


def refresh(database: Database, *, result_id: int, now: datetime) -> bool:
    """Compute a stored row's analysis in a read transaction (the slow part holds no write lock), then store it in
    a short write one. False when the row is gone (pruned) or names an analysis this release does not know."""
    with database.unit_of_work() as session:
        row = get_result(session, result_id=result_id)
        analysis = ANALYSES.get(row.analysis) if row is not None else None
        if row is None or analysis is None:
            return False
        params = analysis.parse(row.params)
        computed = compute(session, analysis, params, now=now)
    with database.unit_of_work(write=True) as session:
        store(session, analysis, params, computed, now=now)
    return True


def stale_ids(session: Session, *, stamp: str, now: datetime) -> list[int]:
    """Results viewed in the last KEEP_VIEWED that are asked for, missing, or stale and computed REFRESH_EVERY ago
    or earlier; those asked for first, then the longest unrefreshed. Reads no result JSON."""
    rows = session.scalars(
        select(PrecomputedResult)
        .options(defer(PrecomputedResult.result))
        .where(PrecomputedResult.viewed_at >= now - KEEP_VIEWED)
        .order_by(PrecomputedResult.requested_at.is_(None), PrecomputedResult.computed_at.is_not(None))
        .order_by(PrecomputedResult.computed_at, PrecomputedResult.id)
    )
    return [r.id for r in rows if r.analysis in ANALYSES and _due(ANALYSES[r.analysis], r, stamp=stamp, now=now)]


def _due(analysis: Analysis[Any, Any], row: PrecomputedResult, *, stamp: str, now: datetime) -> bool:
    if row.requested_at is not None or row.computed_at is None:
        return True
    return now - row.computed_at >= REFRESH_EVERY and not is_fresh(analysis, row, stamp=stamp, now=now)


def mark_updating(session: Session, *, ids: list[int], now: datetime) -> None:
    """Show "updating…" on these results until the sweep (or a job) has computed them again."""
    if ids:
        session.execute(
            update(PrecomputedResult)
            .where(PrecomputedResult.id.in_(ids), PrecomputedResult.requested_at.is_(None))
            .values(requested_at=now)
        )


def prune(session: Session, *, now: datetime) -> int:
    """Drop the results nobody viewed in KEEP_VIEWED, and sweeps older than KEEP_SWEEPS; the results dropped."""
    gone = session.execute(delete(PrecomputedResult).where(PrecomputedResult.viewed_at < now - KEEP_VIEWED))
    session.execute(delete(PrecomputeSweep).where(PrecomputeSweep.swept_at < now - KEEP_SWEEPS))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def record_sweep(session: Session, *, now: datetime, refreshed: int, seconds: float) -> None:
    session.add(PrecomputeSweep(swept_at=now, refreshed=refreshed, seconds=seconds))
    session.flush()


def request_all(session: Session, *, analysis: Analysis[Any, Any], now: datetime) -> None:
    """Queue a refresh of every stored result of `analysis`, after an edit that changes them all (a renamed theme)."""
    ids = list(session.scalars(select(PrecomputedResult.id).where(PrecomputedResult.analysis == analysis.name)))
    mark_updating(session, ids=ids, now=now)
    for result_id in ids:
        dispatch.after_commit(session, REFRESH_JOB, {"result_id": result_id})
