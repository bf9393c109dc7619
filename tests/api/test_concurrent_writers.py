"""Two server processes writing to one database at the same moment: every request succeeds and nothing is lost.

The ingestion endpoints take SQLite's write lock up front (`unit_of_work(write=True)`), so a batch's reads (stored
keys, customers) and its inserts form one serialised transaction across processes, and writers queue on the lock
file instead of polling. Two apps with their own Database objects stand in for two processes; each TestClient runs
its app on its own event-loop thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.access.enums import Role
from cxloop.app import create_app
from cxloop.collection.models import FeedbackItem
from cxloop.core.config import Settings
from cxloop.customers.models import Event
from cxloop.storage.database import Database
from tests.conftest import make_key

ROUNDS = 40


def test_two_processes_posting_feedback_and_events_never_fail(settings: Settings, db: Database) -> None:
    headers = make_key(db, Role.agent)
    statuses: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()
    databases = [Database(db.url) for _ in range(2)]
    # Built here, one after the other: two apps built at once in one process race in pydantic's lazy schema building,
    # which two real processes never share.
    apps = [create_app(settings, database=database) for database in databases]

    def writer(name: str, app: FastAPI) -> Callable[[], None]:
        def run() -> None:
            with TestClient(app) as client:
                client.headers.update(headers)
                for i in range(ROUNDS):
                    key = f"{name}-{i}"
                    feedback = {"kind": "review", "source": "g2", "channel": "review", "external_id": key, "text": "Ok"}
                    event = {"customer_external_id": f"{name}-c{i % 5}", "name": "signed_up", "external_id": key}
                    answers = (
                        client.post("/api/v1/feedback", json=feedback),
                        client.post("/api/v1/events", json=event),
                    )
                    for answer in answers:
                        with lock:
                            statuses.append(answer.status_code)
                            if answer.status_code >= 300:
                                failures.append(answer.text[:200])

        return run

    try:
        for n, app in enumerate(apps):  # first requests build lazy parts; then the two race on the database only
            with TestClient(app, headers=headers) as client:
                warm = {"kind": "review", "source": "warm-up", "channel": "review", "external_id": str(n), "text": "Ok"}
                assert client.post("/api/v1/feedback", json=warm).status_code == 201
                event = {"customer_external_id": "warm", "name": "signed_up", "external_id": f"warm-{n}"}
                assert client.post("/api/v1/events", json=event).status_code == 200
        threads = [threading.Thread(target=writer(name, app)) for name, app in zip("ab", apps, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for database in databases:
            database.dispose()
    assert failures == []
    assert len(statuses) == 2 * 2 * ROUNDS and all(status < 300 for status in statuses)
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackItem)) == 2 * ROUNDS + 2
        assert session.scalar(select(func.count()).select_from(Event)) == 2 * ROUNDS + 2
