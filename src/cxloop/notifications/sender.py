"""The sender: leases due messages, posts them with no transaction open, records each outcome (jobs/leases.py's
claim-commit-send-record, batched for throughput). Runs as a thread of `cxloop worker`.

- Claim (one short write transaction): per healthy destination, up to `in_flight_per_destination` due messages
  (one probe at a time while the destination is failing, none before its `retry_at`, none while paused), leased
  under a token with `attempts + 1`. PostgreSQL: FOR UPDATE SKIP LOCKED, so workers take disjoint messages.
- Send: a thread pool posts them (10 s timeout): a hanging receiver holds its own threads, not other destinations.
- Record (one short write transaction per finished batch): delivered, or the error with the next attempt after an
  exponential backoff with jitter (or the receiver's Retry-After), dead after `max_attempts` or `max_age`. The
  destination's health moves too: a success clears the failures and releases its queue; each failure moves its
  `retry_at` on; `pause_after` failures in a row pause it until resumed by hand (messages keep queueing).
- A worker killed mid-send records nothing; the lease runs out and the message goes again, same `webhook-id`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cxloop.core.clock import ensure_utc, utcnow
from cxloop.jobs.relay import skip_locked
from cxloop.notifications import emails, posting, signing, slack
from cxloop.notifications.enums import DestinationKind, MessageStatus
from cxloop.notifications.models import Destination, Message
from cxloop.storage.database import Database

log = logging.getLogger(__name__)
_PENDING = MessageStatus.pending.value

RECORD_GATHER_SECONDS = 0.02

Post = Callable[[str, bytes, dict[str, str]], posting.Answer]
# (to, subject, text, html or None) -> Answer: SMTP, wired by cxloop.worker (the channels own it); None: email is
# not configured.
SendEmail = Callable[[str, str, str, str | None], posting.Answer]


def _jittered(base: float, step: int, cap: float) -> timedelta:
    """`base * 2^(step-1)`, at most `cap`, times 50-100 % jitter so failures do not retry in lockstep."""
    seconds = min(base * 2 ** max(step - 1, 0), cap)
    return timedelta(seconds=seconds * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not security


@dataclass(frozen=True)
class SendPolicy:
    """How hard the sender tries. Defaults: a message is retried for about a day (20 attempts, 5 s doubling to
    2 h), a failing destination is probed by one message at a time (1 s doubling to 5 min, so a receiver back after
    an hour gets its queue within minutes) and paused after 50 failures in a row (several hours down)."""

    lease_seconds: float = 60.0
    timeout_seconds: float = posting.TIMEOUT_SECONDS
    max_attempts: int = 20
    max_age: timedelta = timedelta(hours=24)
    backoff_seconds: float = 5.0
    max_backoff_seconds: float = 7200.0
    probe_backoff_seconds: float = 1.0
    max_probe_backoff_seconds: float = 300.0
    pause_after: int = 50
    batch: int = 200
    in_flight_per_destination: int = 64  # leased at once; at most `threads` of them are being posted
    threads: int = 32

    def delay(self, attempt: int) -> timedelta:
        return _jittered(self.backoff_seconds, attempt, self.max_backoff_seconds)

    def probe_delay(self, failures: int) -> timedelta:
        return _jittered(self.probe_backoff_seconds, failures, self.max_probe_backoff_seconds)


@dataclass(frozen=True)
class Outgoing:
    """A leased message, with all it needs to be sent and recorded without the database."""

    message_id: int
    token: str
    destination_id: int
    webhook_id: str
    url: str
    kind: str
    secret: str | None
    body: bytes


class Sender:
    """Sends notification messages from `database`; `run_pass` once (tests, the CLI), `run_forever` in a thread."""

    def __init__(
        self,
        database: Database,
        *,
        public_url: str,
        policy: SendPolicy | None = None,
        post: Post | None = None,
        send_email: SendEmail | None = None,
    ) -> None:
        self.database = database
        self._send_email = send_email
        self.public_url = public_url
        self.policy = policy or SendPolicy()
        self._post = post or (
            lambda url, body, headers: posting.post(url, body, headers, timeout=self.policy.timeout_seconds)
        )
        self._pool = ThreadPoolExecutor(self.policy.threads, thread_name_prefix="notifications-send")
        self._in_flight: dict[Future[posting.Answer], Outgoing] = {}
        self._woken = threading.Event()

    def wake(self) -> None:
        """Look for due messages now instead of at the end of the idle wait (the relay of the same worker calls it
        when a group of deliveries committed, which may have queued messages)."""
        self._woken.set()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run_pass(self, *, now: datetime | None = None, message_ids: Iterable[int] | None = None) -> int:
        """Claim what is due (or exactly `message_ids`, whatever their destination's health), send it all, wait,
        record; how many messages were sent."""
        token = uuid.uuid4().hex
        outgoing = self.claim(token, now=now or utcnow(), message_ids=message_ids)
        futures = {self._pool.submit(self._send, out): out for out in outgoing}
        self.record([(out, future.result()) for future, out in futures.items()])
        return len(outgoing)

    def run_forever(self, stop: threading.Event, *, poll_seconds: float = 0.25) -> None:
        """Keep the pool busy until `stop` is set: claim while there is room, record what finished."""
        while not stop.is_set():
            try:
                self._step(poll_seconds)
            except Exception:  # the database restarting must not end the thread: try again shortly
                log.exception("notifications sender step failed; trying again")
                stop.wait(poll_seconds)
        done, _ = wait(list(self._in_flight), timeout=self.policy.timeout_seconds + 1)
        self._record_done(done)

    def _step(self, poll_seconds: float) -> None:
        room = self.policy.threads * 4 - len(self._in_flight)
        if room >= min(8, self.policy.threads):  # claim in batches: each claim is a write transaction
            busy = Counter(out.destination_id for out in self._in_flight.values())
            token = uuid.uuid4().hex
            for out in self.claim(token, now=utcnow(), limit=room, busy=busy):
                self._in_flight[self._pool.submit(self._send, out)] = out
        if not self._in_flight:
            self._woken.wait(poll_seconds)
            self._woken.clear()
            return
        done, _ = wait(list(self._in_flight), timeout=poll_seconds, return_when=FIRST_COMPLETED)
        if done:  # let a few more finish: each record is a write transaction (a commit's fsync on PostgreSQL)
            time.sleep(RECORD_GATHER_SECONDS)
            done = {future for future in self._in_flight if future.done()}
        self._record_done(done)

    def _record_done(self, done: Iterable[Future[posting.Answer]]) -> None:
        finished = [(self._in_flight.pop(future), future.result()) for future in done]
        if finished:
            self.record(finished)

    def _send(self, out: Outgoing) -> posting.Answer:
        if out.kind == DestinationKind.email.value:
            if self._send_email is None:
                return posting.Answer(False, error="email is not configured: set CXLOOP_SMTP_URL")
            letter = emails.letter(orjson.loads(out.body), public_url=self.public_url)
            return self._send_email(out.url.removeprefix("mailto:"), letter.subject, letter.text, letter.html)
        if out.kind == DestinationKind.slack.value:
            answer = self._post(out.url, out.body, {})
            if answer.status == 400:  # invalid_payload and kin: the same bytes will never pass
                return posting.Answer(False, status=400, error=answer.error, permanent=True)
            return answer
        headers = signing.headers(
            out.secret or "", webhook_id=out.webhook_id, timestamp=int(time.time()), body=out.body
        )
        return self._post(out.url, out.body, headers)

    def claim(
        self,
        token: str,
        *,
        now: datetime,
        limit: int | None = None,
        busy: Counter[int] | None = None,
        message_ids: Iterable[int] | None = None,
    ) -> list[Outgoing]:
        """Lease due messages of healthy destinations (or exactly `message_ids`); what to send."""
        limit = self.policy.batch if limit is None else limit
        busy = busy or Counter()
        due = or_(Message.lease_until.is_(None), Message.lease_until < now)
        if message_ids is None:
            with self.database.unit_of_work() as session:  # a read first: an idle sender never takes the write lock
                if not self._due_destinations(session, now):
                    return []
        with self.database.unit_of_work(write=True) as session:
            if message_ids is not None:
                chosen = list(
                    session.scalars(skip_locked(session, select(Message).where(Message.id.in_(list(message_ids)), due)))
                )
                chosen = [m for m in chosen if m.status == _PENDING]
            else:
                chosen = []
                for destination in self._due_destinations(session, now):
                    cap = 1 if destination.failures_in_a_row else self.policy.in_flight_per_destination
                    room = min(cap - busy[destination.id], limit - len(chosen))
                    if room <= 0:
                        continue
                    query = (
                        select(Message)
                        .where(
                            Message.destination_id == destination.id,
                            Message.status == _PENDING,
                            Message.next_attempt_at <= now,
                            due,
                        )
                        .order_by(Message.next_attempt_at, Message.id)
                        .limit(room)
                    )
                    chosen += session.scalars(skip_locked(session, query)).all()
            if not chosen:
                return []
            destinations = {
                d.id: d
                for d in session.scalars(
                    select(Destination).where(Destination.id.in_({m.destination_id for m in chosen}))
                )
            }
            lease = now + timedelta(seconds=self.policy.lease_seconds)
            session.execute(
                update(Message)
                .where(Message.id.in_([m.id for m in chosen]))
                .values(lease_until=lease, lease_token=token, attempts=Message.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            return [self._outgoing(m, destinations[m.destination_id], token) for m in chosen]

    def _due_destinations(self, session: Session, now: datetime) -> list[Destination]:
        """Destinations that may be sent to now and have a due message."""
        has_due = (
            select(Message.id)
            .where(
                Message.destination_id == Destination.id,
                Message.status == _PENDING,
                Message.next_attempt_at <= now,
                or_(Message.lease_until.is_(None), Message.lease_until < now),
            )
            .exists()
        )
        query = select(Destination).where(
            Destination.paused_at.is_(None),
            or_(Destination.retry_at.is_(None), Destination.retry_at <= now),
            has_due,
        )
        return list(session.scalars(query.order_by(Destination.id)))

    def _outgoing(self, message: Message, destination: Destination, token: str) -> Outgoing:
        body: dict[str, Any] = message.body
        if destination.kind == DestinationKind.slack.value:
            body = slack.blocks(body, public_url=self.public_url)
        return Outgoing(
            message_id=message.id,
            token=token,
            destination_id=destination.id,
            webhook_id=message.webhook_id,
            url=destination.url,
            kind=destination.kind,
            secret=destination.secret,
            body=orjson.dumps(body),
        )

    def record(self, results: list[tuple[Outgoing, posting.Answer]], *, now: datetime | None = None) -> None:
        """Record finished attempts and move their destinations' health, in one transaction."""
        if not results:
            return
        now = now or utcnow()
        with self.database.unit_of_work(write=True) as session:
            ids = sorted({out.destination_id for out, _ in results})
            destinations = {
                d.id: d
                for d in session.scalars(
                    select(Destination).where(Destination.id.in_(ids)).order_by(Destination.id).with_for_update()
                )
            }
            messages = {
                m.id: m
                for m in session.scalars(
                    select(Message)
                    .where(Message.id.in_(sorted(out.message_id for out, _ in results)))
                    .order_by(Message.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
            }
            for out, answer in results:
                message = messages.get(out.message_id)
                destination = destinations.get(out.destination_id)
                if message is None or destination is None or message.lease_token != out.token:
                    continue  # removed meanwhile, or our lease ran out and another worker took it
                message.lease_until = message.lease_token = None
                message.last_status_code = answer.status
                if answer.ok:
                    self._delivered(session, message, destination, now)
                else:
                    self._failed(message, destination, answer, now)

    def _delivered(self, session: Session, message: Message, destination: Destination, now: datetime) -> None:
        message.status = MessageStatus.delivered.value
        message.delivered_at = now
        message.last_error = None
        destination.last_success_at = now
        if destination.failures_in_a_row or destination.retry_at:
            destination.failures_in_a_row = 0
            destination.retry_at = None
            # Back after an outage: its queue goes now, not at each message's backed-off time.
            session.execute(
                update(Message)
                .where(
                    Message.destination_id == destination.id,
                    Message.status == _PENDING,
                    Message.next_attempt_at > now,
                )
                .values(next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )

    def _failed(self, message: Message, destination: Destination, answer: posting.Answer, now: datetime) -> None:
        error = answer.error or "failed"
        message.last_error = error[:2000]
        destination.last_error = error[:2000]
        destination.last_failure_at = now
        too_old = ensure_utc(message.created_at) < now - self.policy.max_age
        if answer.permanent or message.attempts >= self.policy.max_attempts or too_old:
            message.status = MessageStatus.dead.value
            log.error("notification %s to destination %d is dead: %s", message.webhook_id, destination.id, error)
        elif answer.retry_after is not None:
            message.next_attempt_at = now + timedelta(seconds=answer.retry_after)
        else:
            message.next_attempt_at = now + self.policy.delay(message.attempts)
        if answer.retry_after is not None:  # asked to slow down: honour it, not a failure of the receiver
            destination.retry_at = max(
                ensure_utc(destination.retry_at or now), now + timedelta(seconds=answer.retry_after)
            )
            return
        destination.failures_in_a_row += 1
        destination.retry_at = now + self.policy.probe_delay(destination.failures_in_a_row)
        if destination.failures_in_a_row >= self.policy.pause_after and destination.paused_at is None:
            destination.paused_at = now
            destination.pause_reason = f"{destination.failures_in_a_row} failures in a row; last: {error}"[:2000]
            log.error("notification destination %d paused: %s", destination.id, destination.pause_reason)
        else:
            log.warning(
                "notification %s to destination %d failed (retried): %s", message.webhook_id, destination.id, error
            )
