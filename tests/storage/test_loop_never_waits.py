"""While a write waits for the database, the server process keeps answering: health and reads in < 100 ms.

A real `cxloop serve` process; another process holds the write lock for 3 s (SQLite: the writer lock file and
BEGIN IMMEDIATE; PostgreSQL: the advisory locks a response writer must share). One response POSTed meanwhile waits
on the process's writer thread, not on its event loop.
"""

from __future__ import annotations

import threading
import time

import httpx

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.collection.conftest import count_responses
from tests.conftest import make_key
from tests.factories.surveys import make_survey
from tests.storage.conftest import LockHolder

HELD_SECONDS = 3.0
FAST_SECONDS = 0.1


def _timed_get(client: httpx.Client, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    status = client.get(path).status_code
    return status, time.perf_counter() - started


def test_reads_answer_while_a_write_waits_for_the_lock(served: str, db: Database, lock_holder: LockHolder) -> None:
    make_survey(db)
    headers = make_key(db, Role.agent)
    with httpx.Client(base_url=served, headers=headers, timeout=30) as client:
        # Warm-up: the first requests build lazy parts (schemas, the key in the principal cache, the writer thread).
        assert client.post("/api/v1/responses", json={"survey": "rnps", "nps": 9}).status_code == 201
        assert client.get("/api/v1/responses").status_code == 200
        stored_before = count_responses(db)

        lock_holder.hold(HELD_SECONDS)
        held_at = time.monotonic()
        posted: list[httpx.Response] = []
        post = threading.Thread(
            target=lambda: posted.append(client.post("/api/v1/responses", json={"survey": "rnps", "nps": 3}))
        )
        post.start()
        time.sleep(0.3)  # the POST has reached the server and waits for the lock

        timings = {path: _timed_get(client, path) for path in ("/api/v1/health", "/api/v1/responses")}
        timings["/api/v1/health again"] = _timed_get(client, "/api/v1/health")
        still_waiting = post.is_alive()
        post.join(30)
        lock_holder.wait()

    for path, (status, seconds) in timings.items():
        assert status == 200, path
        assert seconds < FAST_SECONDS, f"{path} took {seconds * 1000:.0f} ms while a write waited"
    assert still_waiting, "the write should have waited for the lock meanwhile"
    assert posted[0].status_code == 201
    assert time.monotonic() - held_at >= HELD_SECONDS - 0.2  # the write did wait for the lock
    assert count_responses(db) == stored_before + 1
