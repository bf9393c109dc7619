"""A handler with a prepare step: the relay runs it with no transaction open, hands its result to the handler in a
short write transaction of its own, counts a failed prepare as the handler's failure (retried), and keeps the
plain handlers of the same claim grouped. Both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.orm import Session

from cxloop.jobs import outbox
from cxloop.jobs.handlers import Event
from cxloop.jobs.models import OutboxDelivery
from cxloop.jobs.relay import Relay, RelayPolicy
from cxloop.storage.database import Database
from tests.jobs.ping_handlers import ping, pongs, registry


def test_prepare_runs_with_no_transaction_open_and_feeds_the_handler(db: Database) -> None:
    handlers = registry()
    state = {"open": 0, "fail": True}
    seen: list[tuple[int, int]] = []

    def begin(_: Connection) -> None:
        state["open"] += 1

    def end(_: Connection) -> None:
        state["open"] -= 1

    def prepare(database: Database, ev: Event[Any]) -> int:
        seen.append((ev.payload.n, state["open"]))
        if state["fail"]:
            raise RuntimeError("the model is not loaded yet")
        with database.unit_of_work() as session:  # it may read, in a transaction of its own
            assert session.scalar(select(OutboxDelivery.id).limit(1)) is not None
        return ev.payload.n * 10

    @handlers.on("test.ping", name="tests.prepared", prepare=prepare)
    def write(session: Session, ev: Event[Any]) -> None:
        outbox.emit(session, "test.pong", {"n": ev.prepared}, catalog=handlers.catalog)

    ping(db, handlers, 2)
    relay = Relay(db, handlers, RelayPolicy(backoff_seconds=0.0))
    for name, listener in (("begin", begin), ("commit", end), ("rollback", end)):
        event.listen(Engine, name, listener)
    try:
        assert relay.run_pass() == 4  # two pings, each to tests.echo and tests.prepared
        with db.unit_of_work() as session:
            failed = session.execute(
                select(OutboxDelivery.status, OutboxDelivery.last_error).where(
                    OutboxDelivery.handler == "tests.prepared"
                )
            ).all()
        assert failed == [("pending", "RuntimeError: the model is not loaded yet")] * 2
        assert pongs(db) == 2  # tests.echo ran; the prepared handler wrote nothing
        state["fail"] = False
        relay.run_pass()
    finally:
        for name, listener in (("begin", begin), ("commit", end), ("rollback", end)):
            event.remove(Engine, name, listener)
    assert sorted(seen) == [(0, 0), (0, 0), (1, 0), (1, 0)]  # never inside a transaction
    with db.unit_of_work() as session:
        rows = session.execute(select(OutboxDelivery.handler, OutboxDelivery.status, OutboxDelivery.attempts)).all()
    assert sorted(rows) == [("tests.echo", "done", 1)] * 2 + [("tests.prepared", "done", 2)] * 2
    assert pongs(db) == 4
