"""The outbox on its own, on SQLite and PostgreSQL: events exist only when their transaction commits, each
(event, handler) runs once in effect, failures back off and go dead, dead letters retry, events replay, and two
relays racing never run one delivery twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.jobs import outbox
from cxloop.jobs import service as outbox_service
from cxloop.jobs.handlers import Event
from cxloop.jobs.models import OutboxDelivery, OutboxEvent
from cxloop.jobs.relay import Relay, RelayPolicy
from cxloop.storage.database import Database
from tests.jobs.ping_handlers import Ping, ping, pongs, registry


def _deliveries(db: Database) -> list[tuple[str, str, int]]:
    with db.unit_of_work() as session:
        rows = session.execute(select(OutboxDelivery.handler, OutboxDelivery.status, OutboxDelivery.attempts))
        return sorted((h, s, a) for h, s, a in rows.all())


def test_an_event_exists_only_if_its_transaction_commits(db: Database) -> None:
    handlers = registry()
    with pytest.raises(RuntimeError), db.unit_of_work(write=True) as session:
        outbox.emit(session, "test.ping", {"n": 1}, catalog=handlers.catalog)
        raise RuntimeError("the change fails")
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    ping(db, handlers)
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 1


def test_names_and_payloads_are_checked_when_emitted(db: Database) -> None:
    handlers = registry()
    with db.unit_of_work() as session:
        with pytest.raises(KeyError, match="test.ping"):
            outbox.emit(session, "test.pnig", {"n": 1}, catalog=handlers.catalog)
        with pytest.raises(ValidationError):
            outbox.emit(session, "test.ping", {"n": "many"}, catalog=handlers.catalog)
    with pytest.raises(ValueError, match="no event"):
        handlers.on("test.nothing", name="tests.x")(lambda s, e: None)
    with pytest.raises(ValueError, match="registered already"):
        handlers.on("test.ping", name="tests.echo")(lambda s, e: None)
    with pytest.raises(ValueError, match="dotted"):
        handlers.catalog.register("ping", Ping)
    with pytest.raises(ValueError, match="registered already"):
        handlers.catalog.register("test.ping", Ping)
    Relay(db, handlers)  # a relay freezes what it serves
    with pytest.raises(RuntimeError, match="frozen"):
        handlers.on("test.ping", name="tests.late")(lambda s, e: None)
    with pytest.raises(RuntimeError, match="frozen"):
        handlers.catalog.register("test.late", Ping)


def test_each_event_reaches_its_handler_once_in_effect(db: Database) -> None:
    calls: list[int] = []
    handlers = registry(calls)
    ping(db, handlers, 3)
    relay = Relay(db, handlers)
    assert relay.run_pass() == 3
    assert relay.run_pass() == 0
    assert pongs(db) == 3 and len(calls) == 3
    assert _deliveries(db) == [("tests.echo", "done", 1)] * 3
    with db.unit_of_work() as session:  # each run records how long it took
        assert all(ms is not None and ms >= 0 for ms in session.scalars(select(OutboxDelivery.last_duration_ms)))
    # Fanning out the same events again adds no delivery: (event, handler) is unique.
    with db.unit_of_work(write=True) as session:
        session.execute(update(OutboxEvent).values(relayed_at=None))
    assert relay.fan_out() == 6  # 3 pings and their 3 pongs (no handler: relayed with no delivery)
    assert relay.run_pass() == 0 and pongs(db) == 3


def test_a_stale_lease_runs_nothing(db: Database) -> None:
    """A worker whose lease expired (it stalled) and was claimed again by another does not run the handler."""
    calls: list[int] = []
    handlers = registry(calls)
    ping(db, handlers)
    relay = Relay(db, handlers, RelayPolicy(lease_seconds=60))
    relay.fan_out()
    (first,) = relay.claim("worker-a")
    with db.unit_of_work(write=True) as session:
        session.execute(update(OutboxDelivery).values(leased_until=None))  # as if the lease ran out
    assert relay.claim("worker-b") == [first]
    relay.run_one(first, "worker-a")
    assert calls == [] and pongs(db) == 0
    relay.run_one(first, "worker-b")
    relay.run_one(first, "worker-b")  # a duplicate run of a done delivery does nothing
    assert len(calls) == 1 and pongs(db) == 1
    assert _deliveries(db) == [("tests.echo", "done", 2)]


def test_failures_back_off_then_go_dead_then_retry_and_replay(db: Database) -> None:
    broken = {"on": True}
    calls: list[int] = []
    handlers = registry()

    @handlers.on("test.ping", name="tests.flaky")
    def flaky(session: Session, event: Event[Any]) -> None:
        calls.append(event.id)
        outbox.emit(session, "test.pong", {"n": -1}, catalog=handlers.catalog)  # rolled back with the failure
        if broken["on"]:
            raise RuntimeError("the partner API is down")

    ping(db, handlers)
    relay = Relay(db, handlers, RelayPolicy(max_attempts=3, backoff_seconds=0.4))
    assert relay.run_pass() == 2  # echo and flaky
    assert relay.run_pass() == 0  # flaky waits for its backoff (0.2-0.4 s after the first failure)
    with db.unit_of_work() as session:
        delivery = session.scalars(select(OutboxDelivery).where(OutboxDelivery.handler == "tests.flaky")).one()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.last_error == "RuntimeError: the partner API is down"
    for _ in range(100):  # attempts 2 and 3, each after its backoff
        relay.run_pass()
        if _deliveries(db)[1][1] == "dead":
            break
        time.sleep(0.05)
    assert _deliveries(db) == [("tests.echo", "done", 1), ("tests.flaky", "dead", 3)]
    assert len(calls) == 3 and pongs(db) == 1  # only echo's pong: the failed runs left nothing
    with db.unit_of_work() as session:
        report = outbox_service.outbox_status(session)
    assert [(d.handler, d.attempts) for d in report.dead] == [("tests.flaky", 3)]
    assert "partner API" in (report.dead[0].last_error or "")
    assert report.dead[0].last_duration_ms is not None
    assert report.oldest_pending_seconds is None

    broken["on"] = False
    with db.unit_of_work(write=True) as session:
        assert outbox_service.retry_dead(session) == 1
    assert relay.run_pass() == 1
    assert _deliveries(db) == [("tests.echo", "done", 1), ("tests.flaky", "done", 1)]
    assert pongs(db) == 2

    with db.unit_of_work(write=True) as session:
        assert outbox_service.replay_events(session, name="test.ping") == 1
    assert relay.run_pass() == 2  # both handlers once more, on purpose
    assert pongs(db) == 4


def test_two_relays_racing_never_run_one_delivery_twice(db: Database, db_url: str) -> None:
    calls: list[int] = []
    handlers = registry(calls)
    ping(db, handlers, 60)
    relays = [Relay(Database(db_url), handlers, RelayPolicy(batch=7)) for _ in range(2)]
    errors: list[BaseException] = []

    def run(relay: Relay) -> None:
        try:
            deadline = time.monotonic() + 60
            while pongs(db) < 60 and time.monotonic() < deadline:
                relay.run_pass()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(relay,)) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    for relay in relays:
        relay.database.dispose()
    assert errors == []
    assert sorted(calls) == sorted(set(calls)) and len(calls) == 60
    assert pongs(db) == 60
    assert _deliveries(db) == [("tests.echo", "done", 1)] * 60


def test_handled_events_are_pruned_and_unfinished_ones_kept(db: Database) -> None:
    handlers = registry()

    @handlers.on("test.ping", name="tests.fussy")
    def fussy(session: Session, event: Event[Any]) -> None:
        if event.payload.n == 0:
            raise RuntimeError("not this one")

    ping(db, handlers, 3)
    relay = Relay(db, handlers, RelayPolicy(max_attempts=1))
    relay.run_pass()
    relay.fan_out()  # the pongs the pass emitted (no handler: relayed at once)
    later = utcnow() + timedelta(seconds=1)
    with db.unit_of_work(write=True) as session:
        assert outbox_service.prune_outbox(session, before=utcnow() - timedelta(days=1)) == 0  # too young
        assert outbox_service.prune_outbox(session, before=later) == 5  # 2 pings and the 3 pongs
    with db.unit_of_work() as session:
        (kept,) = session.scalars(select(OutboxEvent)).all()
        assert kept.payload == {"n": 0}
    assert _deliveries(db) == [("tests.echo", "done", 1), ("tests.fussy", "dead", 1)]


def test_a_claims_deliveries_commit_in_groups_and_each_group_wakes_the_sender(db: Database) -> None:
    handlers = registry()
    slow: list[int] = []

    @handlers.on("test.ping", name="tests.slow")
    def slow_handler(session: Session, event: Event[Any]) -> None:
        slow.append(event.id)
        time.sleep(0.03)  # with group_seconds 0.05, two of these fill a group

    ping(db, handlers, 10)
    commits: list[int] = []

    def count(_conn: Any) -> None:
        commits.append(1)

    sa_event.listen(db.engine, "commit", count)
    woken: list[int] = []
    relay = Relay(db, handlers, RelayPolicy(group_seconds=0.05), after_commit=lambda: woken.append(1))
    try:
        assert relay.run_pass() == 20
    finally:
        sa_event.remove(db.engine, "commit", count)
    assert len(slow) == 10 and pongs(db) == 10
    assert all(status == "done" for _, status, _ in _deliveries(db))
    # Fan-out, claim, then one commit per group: far fewer than one per delivery (20), more than one group.
    groups = len(woken)
    assert 2 <= groups < 20
    assert len(commits) >= groups + 2
