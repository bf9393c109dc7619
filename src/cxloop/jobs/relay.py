"""The relay: fans outbox events out to one delivery per handler, claims due deliveries under a lease, and runs each
handler in its own transaction, which also records the outcome.

At-least-once, and exactly-once in effect for handlers that only write to the database:
- a claim is a short transaction that leases up to `batch` due deliveries (PostgreSQL: FOR UPDATE SKIP LOCKED, so
  workers never claim the same row; SQLite has one writer, claims are serial);
- the handler's transaction locks its delivery row and checks the lease is still its own, runs the handler inside a
  savepoint and marks the delivery done (or records the failure) before it commits. The deliveries of one claim
  share a transaction, each in its own savepoint, until their handlers have run for `group_seconds`: one commit
  for a group instead of one per delivery (a commit syncs the disk; on a busy machine the relay spent its time
  there and fell behind at 10 responses/s, bench/bench_close_loop.py), while the write lock is still held only
  briefly;
- a handler with a prepare step (jobs/handlers.py) runs it first with no transaction open, then writes alone in a
  short transaction of its own: its slow part never holds the write lock;
- a worker killed mid-handler commits nothing; its lease expires after `lease_seconds` and another claim runs it;
- a failure retries after `backoff_seconds * 2**(attempt-1)` (capped, with jitter); after `max_attempts` the
  delivery is dead until `cxloop outbox retry`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.jobs.enums import DeliveryStatus
from cxloop.jobs.handlers import Event, HandlerRegistry
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.storage.database import Database
from cxloop.storage.dialect_insert import dialect_insert

log = logging.getLogger(__name__)

_DELIVERIES = cast(Table, OutboxDelivery.__table__)
_PENDING = DeliveryStatus.pending.value


@dataclass(frozen=True)
class RelayPolicy:
    """How hard the relay tries: leases, retries and batch sizes."""

    lease_seconds: float = 60.0
    max_attempts: int = 8
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 3600.0
    batch: int = 100
    group_seconds: float = 0.05  # handler time after which a group of deliveries commits

    def delay(self, attempt: int) -> timedelta:
        """Exponential backoff with jitter (50-100 % of the step), so failed handlers do not retry in lockstep."""
        step = min(self.backoff_seconds * 2 ** max(attempt - 1, 0), self.max_backoff_seconds)
        return timedelta(seconds=step * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not security


class Relay:
    """Moves outbox events to their handlers on `database`; `run_pass` once, `run_forever` in a thread."""

    def __init__(
        self,
        database: Database,
        handlers: HandlerRegistry,
        policy: RelayPolicy | None = None,
        *,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.database = database
        self.handlers = handlers
        self.policy = policy or RelayPolicy()
        # Called after each group of deliveries commits: `cxloop worker` wakes its notifications sender, so a
        # message a handler queued goes out at once instead of at the sender's next look.
        self.after_commit = after_commit or (lambda: None)
        handlers.freeze()

    def run_pass(self) -> int:
        """Fan out new events, then claim and run due deliveries once; how many deliveries ran."""
        self.fan_out()
        token = uuid.uuid4().hex
        claimed = self.claim(token)
        self.run_claimed(claimed, token)
        return len(claimed)

    def run_forever(self, stop: threading.Event, *, poll_seconds: float = 0.25) -> None:
        """Run passes until `stop` is set, resting `poll_seconds` whenever a pass found nothing to do."""
        while not stop.is_set():
            try:
                busy = self.run_pass()
            except Exception:  # the database restarting must not end the thread: try again shortly
                log.exception("outbox relay pass failed; trying again")
                busy = 0
            if not busy:
                stop.wait(poll_seconds)

    def fan_out(self, *, now: datetime | None = None) -> int:
        """Create the deliveries of events not relayed yet; how many events were relayed."""
        with self.database.unit_of_work() as session:  # a read first: an idle relay never takes the write lock
            if session.scalar(select(OutboxEvent.id).where(OutboxEvent.relayed_at.is_(None)).limit(1)) is None:
                return 0
        now = now or utcnow()
        with self.database.unit_of_work(write=True) as session:
            query = select(OutboxEvent.id, OutboxEvent.name).where(OutboxEvent.relayed_at.is_(None))
            found = session.execute(skip_locked(session, query.order_by(OutboxEvent.id).limit(500))).all()
            if not found:
                return 0
            rows = [
                {"event_id": event_id, "handler": handler, "status": _PENDING, "attempts": 0, "next_attempt_at": now}
                for event_id, name in found
                for handler in self.handlers.for_event(name)
            ]
            if rows:
                insert = dialect_insert(session, _DELIVERIES)
                session.execute(insert.on_conflict_do_nothing(index_elements=["event_id", "handler"]), rows)
            ids = [event_id for event_id, _ in found]
            session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(relayed_at=now))
        return len(found)

    def claim(self, token: str, *, now: datetime | None = None) -> list[int]:
        """Lease up to `batch` due deliveries of handlers this worker knows; their ids, oldest due first."""
        names = [handler.name for handler in self.handlers]
        if not names:
            return []
        now = now or utcnow()
        due = (
            select(OutboxDelivery.id)
            .where(
                OutboxDelivery.status == _PENDING,
                OutboxDelivery.handler.in_(names),
                OutboxDelivery.next_attempt_at <= now,
                or_(OutboxDelivery.leased_until.is_(None), OutboxDelivery.leased_until < now),
            )
            .order_by(OutboxDelivery.next_attempt_at, OutboxDelivery.id)
            .limit(self.policy.batch)
        )
        with self.database.unit_of_work() as session:
            if session.scalar(due.limit(1)) is None:
                return []
        with self.database.unit_of_work(write=True) as session:
            ids = list(session.scalars(skip_locked(session, due)))
            if ids:
                session.execute(
                    update(OutboxDelivery)
                    .where(OutboxDelivery.id.in_(ids))
                    .values(
                        leased_until=now + timedelta(seconds=self.policy.lease_seconds),
                        lease_token=token,
                        attempts=OutboxDelivery.attempts + 1,
                    )
                )
        return ids

    def run_claimed(self, delivery_ids: list[int], token: str) -> None:
        """Run claimed deliveries in order, in groups that share a transaction (each handler in its own
        savepoint): a group commits once its handlers have run for `group_seconds`, and at the end. A delivery
        whose handler prepares runs alone: prepared with no transaction open, then written."""
        prepared = self._with_prepare_step(delivery_ids)
        position = 0
        while position < len(delivery_ids):
            if delivery_ids[position] in prepared:
                self._run_prepared(delivery_ids[position], token)
                position += 1
            else:
                started = time.perf_counter()
                with self.database.unit_of_work(write=True) as session:
                    while (
                        position < len(delivery_ids)
                        and delivery_ids[position] not in prepared
                        and time.perf_counter() - started < self.policy.group_seconds
                    ):
                        self._run(session, delivery_ids[position], token)
                        position += 1
            self.after_commit()

    def _with_prepare_step(self, delivery_ids: list[int]) -> set[int]:
        """The deliveries among these whose handler has a prepare step."""
        names = {h.name for h in self.handlers if h.prepare is not None}
        if not names or not delivery_ids:
            return set()
        with self.database.unit_of_work() as session:
            rows = session.execute(
                select(OutboxDelivery.id).where(OutboxDelivery.id.in_(delivery_ids), OutboxDelivery.handler.in_(names))
            )
            return {int(row[0]) for row in rows}

    def _run_prepared(self, delivery_id: int, token: str) -> None:
        """Read the event, run the handler's prepare step with no transaction open, then the handler (with what it
        prepared) in a write transaction of its own, which records the outcome as `_run` does."""
        started = time.perf_counter()
        with self.database.unit_of_work() as session:
            delivery = session.scalar(
                select(OutboxDelivery).where(
                    OutboxDelivery.id == delivery_id,
                    OutboxDelivery.lease_token == token,
                    OutboxDelivery.status == _PENDING,
                )
            )
            if delivery is None:
                return
            typed = self._event(session, delivery)
            handler = self.handlers.get(delivery.handler)
        outcome = _Prepared(None, None, 0.0)
        try:
            if handler is not None and handler.prepare is not None:
                outcome = _Prepared(handler.prepare(self.database, typed), None, 0.0)
        except Exception as exc:
            outcome = _Prepared(None, exc, 0.0)
        outcome = _Prepared(outcome.value, outcome.error, time.perf_counter() - started)
        with self.database.unit_of_work(write=True) as session:
            self._run(session, delivery_id, token, prepared=outcome)

    def _event(self, session: Session, delivery: OutboxDelivery) -> Event[Any]:
        event = session.get_one(OutboxEvent, delivery.event_id)
        payload = self.handlers.catalog.parse(event.name, event.payload)
        return Event(event.id, event.name, payload, event.created_at, delivery.attempts)

    def run_one(self, delivery_id: int, token: str) -> None:
        """Run one claimed delivery's handler and record the outcome, in one transaction."""
        with self.database.unit_of_work(write=True) as session:
            self._run(session, delivery_id, token)

    def _run(self, session: Session, delivery_id: int, token: str, *, prepared: _Prepared | None = None) -> None:
        """Run one claimed delivery's handler in a savepoint and record the outcome in `session` (after its prepare
        step's outcome, when it has one: a failed prepare is the handler's failure)."""
        delivery = session.scalar(
            select(OutboxDelivery)
            .where(
                OutboxDelivery.id == delivery_id,
                OutboxDelivery.lease_token == token,
                OutboxDelivery.status == _PENDING,
            )
            .with_for_update()
        )
        if delivery is None:  # our lease expired and another worker took it (or it was retried by hand)
            return
        handler = self.handlers.get(delivery.handler)
        started = time.perf_counter() - (prepared.seconds if prepared else 0.0)
        try:
            if handler is None:
                raise LookupError(f"no handler named {delivery.handler!r} is registered in this worker")
            if prepared is not None and prepared.error is not None:
                raise prepared.error
            typed = self._event(session, delivery)
            if prepared is not None:
                typed = replace(typed, prepared=prepared.value)
            with session.begin_nested():
                handler.handle(session, typed)
        except Exception as exc:
            self._failed(delivery, exc)
        else:
            delivery.status = DeliveryStatus.done.value
            delivery.done_at = utcnow()
        delivery.last_duration_ms = round((time.perf_counter() - started) * 1000)
        delivery.leased_until = None
        delivery.lease_token = None

    def _failed(self, delivery: OutboxDelivery, exc: Exception) -> None:
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if delivery.attempts >= self.policy.max_attempts:
            delivery.status = DeliveryStatus.dead.value
            log.error("outbox handler %s gave up on event %s: %s", delivery.handler, delivery.event_id, exc)
        else:
            delivery.next_attempt_at = utcnow() + self.policy.delay(delivery.attempts)
            log.warning("outbox handler %s failed on event %s (retried): %s", delivery.handler, delivery.event_id, exc)


@dataclass(frozen=True)
class _Prepared:
    """What a handler's prepare step gave (or raised), and how long it took."""

    value: Any
    error: Exception | None
    seconds: float


def skip_locked(session: Session, query: Any) -> Any:
    """FOR UPDATE SKIP LOCKED on PostgreSQL (workers take disjoint rows); SQLite's writers are serial anyway."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query
