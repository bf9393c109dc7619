"""The analytics domain's jobs: the daily anomaly scan, and the outbox handler noting `anomaly.detected`."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.analytics import anomalies
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload
from cxloop.jobs.events import ANOMALY_DETECTED
from cxloop.storage.database import Database

log = logging.getLogger(__name__)

ANOMALY_SCAN_JOB = "analytics.scan_anomalies"
SCAN_HOUR = 4  # UTC: the day before is complete, the segments refreshed


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


@jobs.periodic(ANOMALY_SCAN_JOB, minutes=60)
def scan_anomalies(runtime: Runtime, _: NoPayload) -> None:
    """Once a day (the run in hour SCAN_HOUR UTC): test the last complete week and the last two days of every
    series; a discovery is stored once, so a day tested twice is reported once."""
    if utcnow().hour != SCAN_HOUR:
        return
    with runtime.database.unit_of_work(write=True) as session:
        report = anomalies.scan(session, weeks=1, days=2)
    log.info("anomaly scan: %d tests, %d discoveries, %d new", report.tested, len(report.discoveries), report.new)


@jobs.on(ANOMALY_DETECTED)
def note_anomalies(session: Session, event: jobs.Event[Any]) -> None:  # noqa: ARG001
    """A log line per batch; notifications fan the same event out to subscribed destinations."""
    log.info("outbox event %d: %d anomalies detected", event.id, len(event.payload.anomaly_ids))
