"""Sending outside any transaction: claim a row with a lease, commit, do the slow exchange (SMTP, an SMS provider,
a webhook) with no transaction open, then record the outcome in a second short transaction.

On SQLite a transaction held across the exchange would hold the database's one write lock, so a slow server would
stall every other writer (response ingestion included). Instead:

1. `claim` (short write transaction): lock the row, skip it when another worker holds a live lease on it, re-check
   it and prepare what to send (no I/O), then `hold` it (`lease_until` = now + LEASE) and commit;
2. the exchange, with no transaction and no lock;
3. (short write transaction) record the outcome and `release` the lease, or, after a temporary failure, release it
   with a retry delay (`lease_until` = the earliest retry).

A worker killed between 1 and 3 leaves a lease that runs out after LEASE; the row is then claimed again and sent
again if the first exchange had in fact gone through (at most once more; docs/triggers-and-worker.md).
`send_leased` runs the three steps; a table needs only a nullable UTC `lease_until` column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.storage.database import Database

# Longer than any exchange can take with the channels' 10 s socket timeouts, so a live send is never taken over.
LEASE = timedelta(minutes=5)
# After a temporary failure: not before the next minute's sweep.
RETRY_DELAY = timedelta(seconds=30)

T = TypeVar("T")


class Leasable(Protocol):
    id: Any
    lease_until: datetime | None


L = TypeVar("L", bound=Leasable)


class SendPostponed(Exception):
    """The exchange failed for a reason that may pass (server down, rate limit): release and try again later."""


def claim(session: Session, model: type[L], row_id: int, *, now: datetime) -> L | None:
    """The row, locked for this transaction and free to lease; None when it is gone, locked by another transaction
    (PostgreSQL: skipped at once) or leased by another worker until after `now`."""
    query = select(model).where(model.id == row_id).with_for_update(skip_locked=True)
    row = session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    if row is None or (row.lease_until is not None and row.lease_until > now):
        return None
    return row


def hold(row: Leasable, *, now: datetime) -> datetime:
    """Lease the claimed row to this worker; the lease's end."""
    row.lease_until = now + LEASE
    return row.lease_until


def release(row: Leasable, *, retry_at: datetime | None = None) -> None:
    """Give the lease back: free at once, or not before `retry_at`."""
    row.lease_until = retry_at


@dataclass(frozen=True)
class Prepared(Generic[T]):
    """What the claiming transaction prepared: the exchange to run with no transaction open."""

    row_id: int
    exchange: Callable[[], T]


def send_leased(
    database: Database,
    *,
    prepare: Callable[[Session], Prepared[T] | None],
    record: Callable[[Session, int, T], None],
    postpone: Callable[[Session, int], None],
) -> bool:
    """Claim and prepare (1), exchange (2), record (3), each transaction short; False when `prepare` found nothing
    to send (it may have written why, e.g. suppressed). After a SendPostponed from the exchange, `postpone` runs in
    its own transaction (release with a retry delay) and the exception is raised again."""
    with database.unit_of_work(write=True) as session:
        prepared = prepare(session)
    if prepared is None:
        return False
    try:
        outcome = prepared.exchange()
    except SendPostponed:
        with database.unit_of_work(write=True) as session:
            postpone(session, prepared.row_id)
        raise
    with database.unit_of_work(write=True) as session:
        record(session, prepared.row_id, outcome)
    return True
