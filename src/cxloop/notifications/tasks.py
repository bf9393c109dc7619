"""The notifications domain's outbox handlers (one per notifiable event: each fans the event out to a message per
subscribed destination; SLA warnings and breaches also go to the person who must act, escalation.py) and its
periodic jobs (delivered messages are kept a week, then deleted; weekly team digests, digests.py)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.core.clock import utcnow
from cxloop.jobs import NoPayload
from cxloop.jobs.events import CASE_SLA_BREACHED, CASE_SLA_WARNING, NOTIFIABLE
from cxloop.notifications import digests, escalation
from cxloop.notifications import service as notifications
from cxloop.storage.database import Database

log = logging.getLogger(__name__)

PRUNE_JOB = "notifications.prune_messages"
DIGEST_JOB = "notifications.send_digests"
KEEP = timedelta(days=7)


def _event(event: jobs.Event[Any]) -> dict[str, Any]:
    """An outbox event as the notifications service takes it."""
    return {
        "event_id": event.id,
        "name": event.name,
        "payload": event.payload.model_dump(),
        "created_at": event.created_at,
        "now": utcnow(),
    }


def queue_messages(session: Session, event: jobs.Event[Any]) -> None:
    """A message per destination subscribed to the event (idempotent per event and destination)."""
    count = notifications.queue_event(session, **_event(event))
    if count:
        log.info("outbox event %d (%s): queued for %d notification destination(s)", event.id, event.name, count)


for _name in NOTIFIABLE:  # handler names are part of the deliveries' idempotency key: keep them stable
    jobs.on(_name, name=f"notifications.queue_messages.{_name}")(queue_messages)


def escalate(session: Session, event: jobs.Event[Any]) -> None:
    """Email an SLA breach to the team lead, a warning to the owner (once per event and person)."""
    user_id = escalation.queue_escalation(session, **_event(event))
    log.info("outbox event %d (%s): emailed to user %s", event.id, event.name, user_id)


for _name in (CASE_SLA_WARNING, CASE_SLA_BREACHED):
    jobs.on(_name, name=f"notifications.escalate.{_name}")(escalate)


class Runtime(Protocol):
    @property
    def database(self) -> Database: ...


@jobs.periodic(PRUNE_JOB, minutes=60)
def prune_messages(runtime: Runtime, _: NoPayload) -> None:
    """Delete messages delivered more than a week ago, 10,000 per transaction."""
    while True:
        with runtime.database.unit_of_work(write=True) as session:
            count = notifications.prune_delivered(session, before=utcnow() - KEEP)
        if count < 10_000:
            break


@jobs.periodic(DIGEST_JOB, minutes=15)
def send_digests(runtime: Runtime, _: NoPayload) -> None:
    """Queue each team's weekly digest once it is due (Monday 08:00 in the team's timezone), once per team and week."""
    with runtime.database.unit_of_work(write=True) as session:
        due = digests.due_teams(session, now=utcnow())
    for team_id, week_start in due:  # one transaction per team: a slow team does not hold the others
        with runtime.database.unit_of_work(write=True) as session:
            queued = digests.queue_digest(session, team_id=team_id, week_start=week_start, now=utcnow())
        if queued is not None:
            log.info("weekly digest of team %d for %s: queued to %d people", team_id, week_start, queued)
