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
    touched: dict[str, int] = {}
    pending = True
    while pending:
        with database.unit_of_work(write=True) as session:
            run = privacy.apply_retention(session, dry_run=False, now=now, limit=batch)
        pending = False
        for item in run.items:
            touched[item.kind] = touched.get(item.kind, 0) + item.rows
            pending = pending or item.rows >= batch
    return touched
