"""Messages reach real local receivers, signed, through failures: retried with backoff, probed while a receiver is
down and released when it is back, never blocked by a hanging receiver, paused after N failures and resumed by
hand, dead after the last attempt and retried by hand. Both databases."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from pathlib import Path

import jsonschema
import orjson
from standardwebhooks.webhooks import Webhook

from cxloop.core.clock import utcnow
from cxloop.jobs import service as outbox
from cxloop.notifications import service as notifications
from cxloop.notifications.enums import MessageStatus
from cxloop.storage.database import Database
from cxloop.worker import build_relay
from tests.live import free_port
from tests.notifications.conftest import FAST, add_destination, destination, later, messages, sender, store_feedback
from tests.notifications.receiver import Receiver, Reply

SCHEMA = json.loads((Path(__file__).parents[2] / "docs/webhooks/message.schema.json").read_text())


def test_feedback_reaches_a_subscribed_webhook_signed_and_as_documented(db: Database, receiver: Receiver) -> None:
    hook = add_destination(db, receiver.url, events=["feedback.received"])
    other = add_destination(db, receiver.url, events=["case.created"])  # not subscribed: gets nothing
    ids = store_feedback(db, 2, text="Checkout <broke> & I left", rating=1)
    assert sender(db).run_pass() == 1
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/hooks" and got.headers["content-type"] == "application/json"
    body = Webhook(hook.secret or "").verify(got.body, got.headers)  # as a receiver would
    jsonschema.validate(body, SCHEMA)
    assert body["type"] == "feedback.received" and body["data"]["feedback_ids"] == ids
    assert [f["text"] for f in body["data"]["feedback"]] == ["Checkout <broke> & I left"] * 2
    [message] = messages(db)
    assert (message.destination_id, message.status, message.attempts) == (hook.id, "delivered", 1)
    assert got.headers["webhook-id"] == message.webhook_id and message.webhook_id.startswith("msg_")
    assert destination(db, hook.id).last_success_at is not None
    assert destination(db, other.id).last_success_at is None


def test_a_replayed_event_adds_no_second_message(db: Database, receiver: Receiver) -> None:
    add_destination(db, receiver.url)
    store_feedback(db)
    with db.unit_of_work(write=True) as session:
        assert outbox.replay_events(session, name="feedback.received") == 1
    relay = build_relay(db)
    while relay.run_pass():
        pass
    assert len(messages(db)) == 1


def test_a_500_is_retried_with_backoff_and_delivered_once_with_the_same_webhook_id(
    db: Database, receiver: Receiver
) -> None:
    hook = add_destination(db, receiver.url)
    receiver.script = [Reply(500, b"boom")]
    store_feedback(db)
    send = sender(db)
    assert send.run_pass() == 1
    [message] = messages(db)
    assert (message.status, message.attempts, message.last_status_code) == ("pending", 1, 500)
    assert message.last_error == "HTTP 500: boom" and message.next_attempt_at > utcnow()
    assert send.run_pass() == 0  # not due yet: backing off
    assert send.run_pass(now=later(600)) == 1
    [message] = messages(db)
    assert (message.status, message.attempts) == ("delivered", 2)
    assert [r.headers["webhook-id"] for r in receiver.started] == [message.webhook_id] * 2
    health = destination(db, hook.id)
    assert (health.failures_in_a_row, health.retry_at, health.last_error) == (0, None, "HTTP 500: boom")


def test_a_receiver_down_for_a_while_gets_every_message_once_it_is_back(db: Database) -> None:
    port = free_port()  # nothing listens yet: connection refused
    hook = add_destination(db, f"http://127.0.0.1:{port}/hooks")
    for _ in range(5):
        store_feedback(db)
    send = sender(db)
    assert send.run_pass() == 5  # a healthy destination: all at once
    assert send.run_pass(now=later(3 * 3600)) == 1  # failing: one probe at a time
    health = destination(db, hook.id)
    assert health.retry_at is not None and health.retry_at > utcnow()  # the destination backs off between probes
    assert health.failures_in_a_row == 6 and "ConnectionRefusedError" in (health.last_error or "")
    assert health.paused_at is None and all(m.status == "pending" for m in messages(db))
    back = Receiver(port).start()
    try:
        assert send.run_pass(now=later(4 * 3600)) == 1  # the probe gets through and releases the queue
        assert send.run_pass(now=later(4 * 3600)) == 4
        assert send.run_pass(now=later(4 * 3600)) == 0
        assert sorted(r.headers["webhook-id"] for r in back.requests) == sorted(m.webhook_id for m in messages(db))
        assert {m.status for m in messages(db)} == {"delivered"}
        assert destination(db, hook.id).failures_in_a_row == 0
    finally:
        back.stop()


def test_a_hanging_receiver_times_out_and_does_not_block_other_destinations(db: Database, receiver: Receiver) -> None:
    hanging = Receiver().start()
    hanging.default = Reply(200, b"late", hang=30)
    try:
        slow = add_destination(db, hanging.url)
        fast = add_destination(db, receiver.url)
        store_feedback(db)
        send = sender(db, replace(FAST, timeout_seconds=3.0))
        stop = threading.Event()
        thread = threading.Thread(target=send.run_forever, args=(stop,), kwargs={"poll_seconds": 0.05})
        started = time.monotonic()
        thread.start()
        try:
            _wait(lambda: len(receiver.requests) == 1)
            assert time.monotonic() - started < 2.5  # while the other message still hangs
            _wait(lambda: destination(db, slow.id).failures_in_a_row == 1)
        finally:
            stop.set()
            thread.join(10)
            send.close()
        assert destination(db, slow.id).last_error == "no answer within 3 s"
        assert destination(db, fast.id).last_success_at is not None
        by_destination = {m.destination_id: m.status for m in messages(db)}
        assert by_destination == {slow.id: "pending", fast.id: "delivered"}
    finally:
        hanging.stop()


def test_a_destination_pauses_after_n_failures_keeps_queueing_and_resumes_by_hand(
    db: Database, receiver: Receiver
) -> None:
    hook = add_destination(db, receiver.url)
    receiver.default = Reply(503, b"down")
    send = sender(db, replace(FAST, pause_after=3))
    store_feedback(db)
    for hours in (1, 2, 3):
        assert send.run_pass(now=later(hours * 3600)) == 1
    health = destination(db, hook.id)
    assert health.paused_at is not None and health.pause_reason == "3 failures in a row; last: HTTP 503: down"
    store_feedback(db)  # paused: still queued, not sent
    assert send.run_pass(now=later(5 * 3600)) == 0
    assert [m.status for m in messages(db)] == ["pending", "pending"]
    receiver.default = Reply(204)
    with db.unit_of_work(write=True) as session:
        resumed = notifications.resume_destination(session, destination_id=hook.id, now=utcnow())
    assert resumed.paused_at is None and resumed.pending == 2
    assert send.run_pass() == 2
    assert [m.status for m in messages(db)] == ["delivered", "delivered"]


def test_a_message_is_dead_after_its_last_attempt_and_goes_again_when_retried(db: Database, receiver: Receiver) -> None:
    hook = add_destination(db, receiver.url)
    receiver.default = Reply(500)
    send = sender(db, replace(FAST, max_attempts=2))
    store_feedback(db)
    send.run_pass()
    send.run_pass(now=later(3600))
    [message] = messages(db)
    assert (message.status, message.attempts, message.last_error) == ("dead", 2, "HTTP 500")
    with db.unit_of_work() as session:
        dead = notifications.list_messages(session, status=MessageStatus.dead)
        assert [m.id for m in dead.items] == [message.id] and notifications.get_destination(
            session, destination_id=hook.id
        ).dead == 1
    receiver.default = Reply(200)
    with db.unit_of_work(write=True) as session:
        assert notifications.retry_dead(session, now=utcnow()) == 1
    assert send.run_pass(now=later(7200)) == 1
    [message] = messages(db)
    assert (message.status, message.attempts) == ("delivered", 1)
    assert orjson.loads(receiver.requests[0].body)["type"] == "feedback.received"


def _wait(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
