"""The privacy domain's job: retention policies applied every hour, one transaction per batch."""

from __future__ import annotations

import logging
from typing import Protocol

from cxloop import jobs
from cxloop.jobs import NoPayload
from cxloop.privacy.runner import run_retention
from cxloop.storage.database import Database

log = logging.getLogger(__name__)

RETENTION_JOB = "privacy.apply_retention"


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


@jobs.periodic(RETENTION_JOB, minutes=60)
def apply_retention(runtime: Runtime, _: NoPayload) -> None:
    """Delete or anonymise what every retention policy says has been kept long enough."""
    touched = run_retention(runtime.database)
    for kind, rows in touched.items():
        if rows:
            log.info("retention: %d %s rows deleted or anonymised", rows, kind)
