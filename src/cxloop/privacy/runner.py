"""Retention to completion: passes of `service.apply_retention`, one transaction each, until no kind has more rows
(the worker's hourly job and `cxloop retention run`)."""

from __future__ import annotations

from datetime import datetime

from cxloop.core.clock import utcnow
from cxloop.privacy import service as privacy
from cxloop.storage.database import Database


def run_retention(
    database: Database, *, now: datetime | None = None, batch: int = privacy.RETENTION_BATCH
) -> dict[str, int]:
    """Apply every policy fully; rows touched per kind. `now` is fixed for the whole run."""
    now = now or utcnow()
    with database.unit_of_work() as session:
        due = privacy.apply_retention(session, dry_run=True, now=now)
    # Bounded by what was due at the start: a kind that never makes progress cannot keep the worker busy forever.
    passes = max((item.rows for item in due.items), default=0) // batch + 1
    touched: dict[str, int] = {item.kind: 0 for item in due.items}
    for _ in range(passes):
        with database.unit_of_work(write=True) as session:
            run = privacy.apply_retention(session, dry_run=False, now=now, limit=batch)
        for item in run.items:
            touched[item.kind] = touched.get(item.kind, 0) + item.rows
        if all(item.rows < batch for item in run.items):
            break
    return touched
