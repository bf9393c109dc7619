"""The follow-up jobs: send one follow-up as soon as its transaction commits, and every minute the due ones (those
held by quiet hours, retries after a temporary failure, and any whose queued job was lost)."""

from __future__ import annotations

import logging
from typing import Protocol

from pydantic import BaseModel

from cxloop import jobs
from cxloop.cases.service import follow_ups
from cxloop.channels.follow_ups import deliver_follow_up
from cxloop.channels.outbound import DeliveryPostponed
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.core.int_bounds import JsonId
from cxloop.jobs import NoPayload
from cxloop.storage.database import Database

log = logging.getLogger(__name__)
_BATCH = 200


class Runtime(Protocol):
    @property
    def settings(self) -> Settings: ...
    @property
    def database(self) -> Database: ...


class FollowUpToSend(BaseModel):
    follow_up_id: JsonId


def _send(runtime: Runtime, follow_up_id: int) -> None:
    try:
        deliver_follow_up(runtime.database, follow_up_id, settings=runtime.settings)
    except DeliveryPostponed as exc:  # recorded with its retry time; the sweep sends it then
        log.info("follow-up %d postponed: %s", follow_up_id, exc)


@jobs.handler(follow_ups.SEND_JOB, FollowUpToSend)
def send_follow_up(runtime: Runtime, payload: FollowUpToSend) -> None:
    """Send one follow-up now (send_due_follow_ups is the safety net)."""
    _send(runtime, payload.follow_up_id)


@jobs.periodic(follow_ups.SEND_DUE_JOB, minutes=1)
def send_due_follow_ups(runtime: Runtime, _: NoPayload) -> None:
    """Send every queued follow-up whose time has come, 200 at a time, each id once per run."""
    seen: set[int] = set()
    while True:
        with runtime.database.unit_of_work() as session:
            ids = [i for i in follow_ups.due_ids(session, now=utcnow(), limit=_BATCH) if i not in seen]
        if not ids:
            return
        seen.update(ids)
        for follow_up_id in ids:
            _send(runtime, follow_up_id)
