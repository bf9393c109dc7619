"""The trigger jobs: event rules as events arrive (and their catch-up), time rules, and sending what is due.

| job | when | what |
| --- | --- | --- |
| triggers.evaluate_events | queued after a batch of events commits | event rules -> invitations, then send those due |
| triggers.catch_up_events | every 10 minutes | the same over the last day's events (the safety net) |
| triggers.sweep_time_rules | every hour | time rules -> invitations (500 per transaction), then send_due |
| triggers.send_due | every minute | send scheduled invitations whose time has come; expire the overdue |
| triggers.send_reminders | every 15 minutes | the one reminder to non-responders |
| invitations.send | queued after an invitation made by hand commits | send it now (send_due is the safety net) |
| triggers.fall_back | outbox event `invitation.delivery_failed` | invite again on the rule's next fallback channel |

The channels sit above this domain: the worker passes their sender in (`runtime.deliver`) with the exception it
raises for a temporary failure (`runtime.postponed`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from cxloop import jobs
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.invitations import service as invitations
from cxloop.invitations.enums import InvitationStatus
from cxloop.invitations.tokens import TokenSigner
from cxloop.jobs import NoPayload
from cxloop.jobs.events import INVITATION_DELIVERY_FAILED
from cxloop.storage.database import Database
from cxloop.triggers import event_rules, fallbacks, sending, time_rules

log = logging.getLogger(__name__)

CATCH_UP_JOB = "triggers.catch_up_events"
_SEND_BATCH = 200
_SWEEP_BATCH = 500


class Deliver(Protocol):
    """The channels' sender (cxloop.channels.delivery.deliver): claims, sends outside any transaction, records."""

    def __call__(
        self,
        database: Database,
        invitation_id: int,
        *,
        settings: Settings,
        signer: TokenSigner,
        reminder: bool = False,
        now: datetime | None = None,
    ) -> bool: ...


class Runtime(Protocol):
    """What the trigger jobs need from the worker: settings, database, token signer and the channel sender."""

    @property
    def settings(self) -> Settings: ...
    @property
    def database(self) -> Database: ...
    @property
    def signer(self) -> TokenSigner: ...
    @property
    def deliver(self) -> Deliver: ...
    @property
    def postponed(self) -> type[Exception]: ...


class EventBatch(BaseModel):
    event_ids: list[int] = Field(min_length=1, max_length=10_000)


class InvitationToSend(BaseModel):
    invitation_id: int


@jobs.handler(event_rules.EVALUATE_JOB, EventBatch)
def evaluate_events(runtime: Runtime, payload: EventBatch) -> None:
    """Evaluate the event rules for a batch of stored events and send the invitations that are due at once."""
    with runtime.database.unit_of_work(write=True) as session:
        created = event_rules.evaluate_events(session, event_ids=payload.event_ids)
        now = utcnow()
        due_now = [i.id for i in created if i.status == InvitationStatus.scheduled.value and i.scheduled_for <= now]
    send(runtime, due_now)


@jobs.periodic(CATCH_UP_JOB, minutes=10)
def catch_up_events(runtime: Runtime, _: NoPayload) -> None:
    """Evaluate the last day's events again: events whose job was never queued are acted on here."""
    with runtime.database.unit_of_work(write=True) as session:
        created = event_rules.catch_up(session)
    if created:
        log.info("event catch-up created %d invitations", len(created))


@jobs.periodic(time_rules.SWEEP_JOB, minutes=60)
def sweep_time_rules(runtime: Runtime, _: NoPayload) -> None:
    """Invite every customer whose time rule is due, then send the invitations due now."""
    due, created = run_time_sweep(runtime.database)
    log.info("time-rule sweep: %d occurrences due, %d invitations created", due, created)
    send_due(runtime, NoPayload())


def run_time_sweep(database: Database, *, now: datetime | None = None) -> tuple[int, int]:
    """(due, created): the plan is read once, the invitations stored in transactions of 500 (SQLite has one writer:
    a sweep of thousands must not hold it for seconds)."""
    now = now or utcnow()
    with database.unit_of_work() as session:
        planned = time_rules.plan(session, now=now)
    created = 0
    for start in range(0, len(planned.requests), _SWEEP_BATCH):
        with database.unit_of_work(write=True) as session:
            chunk = planned.requests[start : start + _SWEEP_BATCH]
            created += len(invitations.invite_many(session, chunk, now=now))
    return planned.due, created


@jobs.periodic(sending.SEND_JOB, minutes=1)
def send_due(runtime: Runtime, _: NoPayload) -> None:
    """Send every scheduled invitation whose time has come; mark the ones past their expiry expired."""
    with runtime.database.unit_of_work(write=True) as session:
        invitations.expire_overdue(session, now=utcnow())
    seen: set[int] = set()
    while True:
        with runtime.database.unit_of_work() as session:
            ids = sending.due(session, now=utcnow(), limit=_SEND_BATCH)
        if not ids or seen.issuperset(ids):  # nothing new: what is left stays for the next minute
            return
        seen.update(ids)
        if send(runtime, ids) < len(ids) or len(ids) < _SEND_BATCH:
            return


@jobs.handler(invitations.SEND_JOB, InvitationToSend)
def send_invitation(runtime: Runtime, payload: InvitationToSend) -> None:
    """Send one invitation created by hand (API) at once, instead of at the next minute's sweep."""
    send(runtime, [payload.invitation_id])


@jobs.periodic(sending.REMIND_JOB, minutes=15)
def send_reminders(runtime: Runtime, _: NoPayload) -> None:
    """Send the one reminder to those who were invited `reminder_after_days` ago and have not answered."""
    with runtime.database.unit_of_work() as session:
        ids = sending.reminders_due(session, now=utcnow())
    send(runtime, ids, reminder=True)


def send(runtime: Runtime, invitation_ids: Sequence[int], *, reminder: bool = False) -> int:
    """Hand each invitation to its channel (claimed, sent with no transaction open, recorded: channels.delivery);
    returns how many were tried. Stops at the first temporary failure (the mail server is down): the next sweep
    tries again."""
    tried = 0
    for invitation_id in invitation_ids:
        try:
            runtime.deliver(
                runtime.database, invitation_id, settings=runtime.settings, signer=runtime.signer, reminder=reminder
            )
        except runtime.postponed as exc:
            log.warning("sending postponed (%s); the next sweep tries again", exc)
            return tried
        tried += 1
    return tried


@jobs.on(INVITATION_DELIVERY_FAILED, name="triggers.fall_back")
def fall_back(session: Session, event: jobs.Event[Any]) -> None:
    """An invitation's message was reported undelivered: invite again on its rule's next fallback channel."""
    created = fallbacks.fall_back(session, invitation_ids=event.payload.invitation_ids)
    if created:
        log.info("delivery failures: fell back to invitations %s", created)
