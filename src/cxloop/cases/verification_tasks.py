"""The verification jobs: `cases.send_verifications` every 15 minutes makes the re-surveys that came due (the
invitations leave with `triggers.send_due`, or at once after the commit), and `cases.record_verifications`, a handler
of `invitation.answered`, puts each answer on its case (cases/service/verification.py)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.cases import service as cases
from cxloop.cases.tasks import Runtime
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload
from cxloop.jobs.events import INVITATION_ANSWERED

log = logging.getLogger(__name__)

VERIFY_JOB = "cases.send_verifications"


@jobs.periodic(VERIFY_JOB, minutes=15)
def send_verifications(runtime: Runtime, _: NoPayload) -> None:
    """Re-survey the customers of the cases resolved `verify_after_days` ago (40 cases per transaction, so the
    SQLite write lock is never held for long)."""
    run_verifications(runtime)


def run_verifications(runtime: Runtime) -> cases.VerifyResult:
    """Every batch until the candidates run out; the totals (tests and the job)."""
    total, after_id, now = cases.VerifyResult(), 0, utcnow()
    while True:
        with runtime.database.unit_of_work(write=True) as session:
            result = cases.verify_due(session, now=now, after_id=after_id)
        total.scheduled += result.scheduled
        total.suppressed += result.suppressed
        total.skipped += result.skipped
        if result.last_id is None:
            break
        after_id = result.last_id
    if total.scheduled or total.suppressed or total.skipped:
        log.info(
            "verifications: %d scheduled, %d suppressed, %d skipped", total.scheduled, total.suppressed, total.skipped
        )
    return total


@jobs.on(INVITATION_ANSWERED, name="cases.record_verifications")
def record_verifications(session: Session, event: jobs.Event[Any]) -> None:
    """Put the answers of verification re-surveys on their cases (other invitations are not theirs: nothing)."""
    cases.record_answers(session, invitation_ids=event.payload.invitation_ids)
