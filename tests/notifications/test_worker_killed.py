"""A real `cxloop worker` SIGKILLed while the receiver holds its request: the message is sent again once its lease
runs out, at most once more, with the same `webhook-id`, so the receiver can drop the duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from cxloop.storage.database import Database
from tests.notifications.conftest import add_destination, later, messages, sender, store_feedback
from tests.notifications.receiver import Receiver, Reply


def _start_worker(db_url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env.update(
        CXLOOP_ENVIRONMENT="test",
        CXLOOP_DATABASE_URL=db_url,
        CXLOOP_DATA_DIR=str(tmp_path / "data"),
        CXLOOP_SECRET_KEY="worker-test-secret",
        CXLOOP_LOG_LEVEL="WARNING",
    )
    command = [sys.executable, "-m", "cxloop", "worker", "--workers", "1", "--no-periodic", "--poll-interval", "0.05"]
    log = (tmp_path / "worker.log").open("wb")
    try:
        return subprocess.Popen(
            [*command, "--queue", f"cxloop-test-{uuid.uuid4().hex[:12]}"], env=env, stdout=log, stderr=log
        )
    finally:
        log.close()


def test_a_worker_killed_mid_send_sends_again_once_with_the_same_webhook_id(
    db: Database, db_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    add_destination(db, receiver.url)
    receiver.script = [Reply(200, hang=60)]  # holds the first request until the test ends
    store_feedback(db)
    worker = _start_worker(db_url, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not receiver.started:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    [message] = messages(db)
    assert (message.status, message.attempts) == ("pending", 1) and message.lease_until is not None
    send = sender(db)
    assert send.run_pass() == 0  # the dead worker's lease still holds
    assert send.run_pass(now=later(61)) == 1  # it ran out: sent again
    assert send.run_pass(now=later(3600)) == 0  # and never a third time
    [message] = messages(db)
    assert (message.status, message.attempts) == ("delivered", 2)
    assert [r.headers["webhook-id"] for r in receiver.started] == [message.webhook_id] * 2
    assert len(receiver.requests) == 1  # only the second attempt was answered
