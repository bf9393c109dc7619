"""What an erasure does once its transaction has committed: the queued jobs lose the erased ids, and on SQLite the
database file is rebuilt (VACUUM: free pages and stale fragments of earlier row versions can still hold erased text)
and its write-ahead log checkpointed and truncated, so no old copy of an erased page stays in the -wal file.

Not in the service: it reaches the job queue (Huey) and needs the committed state (docs/privacy.md). The erasure has
committed by then, so a failure here is logged, never raised: the erasure transaction ran with secure_delete on
(deleted content overwritten with zeros) and the queue's payloads hold ids only.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import OperationalError

from cxloop.core.config import Settings
from cxloop.jobs.queue import build_huey, rewrite_queued
from cxloop.privacy.holders import payload_rewrite
from cxloop.privacy.service import Erasure
from cxloop.storage.database import Database

log = logging.getLogger(__name__)


def finish_erasure(database: Database, settings: Settings, erasure: Erasure) -> None:
    """Scrub the job queue of the erased ids; on SQLite, VACUUM, then truncate the WAL (retried while readers hold
    it). VACUUM rewrites the whole file: on a large database it takes a while and holds the write lock meanwhile."""
    number = erasure.record.id
    try:
        jobs = rewrite_queued(build_huey(settings, name=settings.jobs_queue), payload_rewrite(erasure.erased))
        if jobs:
            log.info("erasure %d: %d queued jobs changed or dropped", number, jobs)
    except Exception:  # the queue is down: its jobs name rows that no longer exist, and their handlers skip them
        log.exception("erasure %d: the job queue could not be scrubbed", number)
    if not database.is_sqlite:
        return
    try:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("VACUUM")
    except OperationalError:  # a long write held the database past the busy timeout
        log.warning("erasure %d: VACUUM could not run; run `sqlite3 <db> VACUUM` in a quiet moment", number)
    for _ in range(50):
        with database.engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return
        time.sleep(0.1)
    log.warning("erasure %d: SQLite's WAL stayed in use; it is truncated at the next checkpoint", number)
