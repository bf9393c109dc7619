"""A relay process killed (SIGKILL) in the middle of a handler loses nothing: the handler's transaction never
commits, its lease expires, and the next process runs the event once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from cxloop.jobs.models import OutboxDelivery
from cxloop.storage.database import Database
from tests.jobs.conftest import wait_for
from tests.jobs.ping_handlers import ping, pongs, registry


def _relay_process(db_url: str, folder: Path) -> subprocess.Popen[bytes]:
    log = (folder / "relay.log").open("ab")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.ping_handlers", db_url, str(folder)], stdout=log, stderr=log, env=env
    )
    log.close()
    return process


def _delivery(db: Database) -> tuple[str, int]:
    with db.unit_of_work() as session:
        status, attempts = session.execute(select(OutboxDelivery.status, OutboxDelivery.attempts)).one()
        return status, attempts


def test_a_relay_killed_mid_handler_loses_nothing(db: Database, db_url: str, tmp_path: Path) -> None:
    ping(db, registry())
    (tmp_path / "hang").touch()
    first = _relay_process(db_url, tmp_path)
    try:
        wait_for(lambda: any(tmp_path.glob("started-*-1")), what="the handler to start")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert pongs(db) == 0 and _delivery(db) == ("pending", 1)  # nothing of the handler's work was committed
    (tmp_path / "hang").unlink()
    second = _relay_process(db_url, tmp_path)
    try:
        wait_for(
            lambda: _delivery(db)[0] == "done",
            what=f"the event handled after the lease expired; log: "
            f"{(tmp_path / 'relay.log').read_text(errors='replace')[-2000:]}",
        )
    finally:
        second.kill()
        second.wait(10)
    assert _delivery(db) == ("done", 2) and pongs(db) == 1
    assert sorted(p.name.rsplit("-", 1)[1] for p in tmp_path.glob("started-*")) == ["1", "2"]
