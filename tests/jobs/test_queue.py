"""The jobs layer on its own: the registry's checks, the generic task through real Huey storage (SQLite and Redis),
and queuing after commit only."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from cxloop.core.config import Settings
from cxloop.jobs import dispatch
from cxloop.jobs.queue import JobQueue, build_huey, rewrite_queued
from cxloop.jobs.registry import JobRegistry, NoPayload
from cxloop.storage.database import Database
from tests.jobs.conftest import REDIS_URL, require_redis


class Ids(BaseModel):
    ids: list[int]


def _registry(seen: list[Any]) -> JobRegistry[str]:
    registry: JobRegistry[str] = JobRegistry()

    @registry.handler("test.record", Ids)
    def record(context: str, payload: Ids) -> None:
        seen.append((context, payload.ids))

    @registry.handler("test.fail", NoPayload)
    def fail(context: str, payload: NoPayload) -> None:
        raise RuntimeError("the database is restarting")

    @registry.periodic("test.tick", minutes=5)
    def tick(context: str, payload: NoPayload) -> None:
        seen.append((context, "tick"))

    return registry


def test_registration_is_checked_at_the_door_and_frozen_after_startup() -> None:
    registry = _registry([])
    with pytest.raises(ValueError, match="dotted"):
        registry.handler("nodots", NoPayload)(lambda c, p: None)
    with pytest.raises(ValueError, match="registered already"):
        registry.handler("test.record", Ids)(lambda c, p: None)
    with pytest.raises(TypeError, match="pydantic"):
        registry.handler("test.other", dict)(lambda c, p: None)  # type: ignore[type-var]
    with pytest.raises(ValueError, match="1 to 60"):
        registry.periodic("test.slow", minutes=90)
    registry.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        registry.handler("test.late", NoPayload)(lambda c, p: None)


def test_unknown_names_and_bad_payloads_are_logged_and_dropped(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Any] = []
    registry = _registry(seen)
    with caplog.at_level(logging.ERROR):
        assert registry.run("ctx", "test.nobody", {}) is False
        assert registry.run("ctx", "test.record", {"ids": "not a list"}) is False
    assert "no handler" in caplog.text and "payload is invalid" in caplog.text
    assert registry.run("ctx", "test.record", {"ids": [1, 2]}) is True
    assert seen == [("ctx", [1, 2])]


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def job_queue(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    redis_url = None
    if request.param == "redis-queue":
        require_redis()
        redis_url = REDIS_URL
    settings = Settings(environment="test", data_dir=tmp_path, redis_url=redis_url)
    queue = JobQueue(build_huey(settings, name=f"cxloop-unit-{tmp_path.name}"))
    yield queue
    queue.huey.storage.flush_all()


def test_jobs_travel_through_real_storage_by_name(job_queue: JobQueue) -> None:
    seen: list[Any] = []
    registry = _registry(seen)
    job_queue.serve(registry, "ctx")
    job_queue.enqueue("test.record", {"ids": [7]})
    job_queue.enqueue("test.nobody", {})
    assert len(job_queue.huey) == 2
    for _ in range(2):
        job_queue.huey.execute(job_queue.huey.dequeue())
    assert seen == [("ctx", [7])]
    due = job_queue.huey.read_periodic(datetime(2026, 1, 1, 10, 5, tzinfo=UTC))
    assert [task.name for task in due] == ["test.tick"]
    assert job_queue.huey.read_periodic(datetime(2026, 1, 1, 10, 6, tzinfo=UTC)) == []


def test_a_failing_job_is_kept_for_a_retry(job_queue: JobQueue) -> None:
    job_queue.serve(_registry([]), "ctx")
    job_queue.enqueue("test.fail")
    job_queue.huey.execute(job_queue.huey.dequeue())
    assert job_queue.huey.scheduled_count() == 1  # queued again, a little later


def test_jobs_leave_after_commit_never_after_a_rollback(db: Database) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    previous = dispatch.installed()
    dispatch.install(lambda name, payload: sent.append((name, payload)))
    try:
        with pytest.raises(RuntimeError), db.unit_of_work() as session:
            dispatch.after_commit(session, "test.a", {})
            raise RuntimeError("rolled back")
        with db.unit_of_work() as session:
            dispatch.after_commit(session, "test.b", {"n": 1})
            try:
                with session.begin_nested():  # a savepoint rolled back inside keeps the outer transaction's jobs
                    raise ValueError("inner")
            except ValueError:
                pass
            assert sent == []
        assert sent == [("test.b", {"n": 1})]
    finally:
        dispatch.install(previous)


def test_rewrite_queued_replaces_drops_and_keeps_jobs(job_queue: JobQueue) -> None:
    """Erasure's pass over queued and scheduled jobs (jobs.queue.rewrite_queued), on each storage."""
    job_queue.enqueue("test.record", {"ids": [7, 8]})
    job_queue.enqueue("test.record", {"ids": [8]})
    job_queue.enqueue("test.other", {"ids": [9]})
    later = job_queue._task.s("test.record", {"ids": [8, 10]})
    later.eta = datetime(2099, 1, 1)  # Huey's naive UTC
    job_queue.huey.add_schedule(later)  # where the consumer keeps jobs that wait for their time

    def without_8(_name: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        kept = [i for i in payload["ids"] if i != 8]
        return {"ids": kept} if kept else None

    assert rewrite_queued(job_queue.huey, without_8) == 3
    pending = sorted((t.args[0], t.args[1]["ids"]) for t in job_queue.huey.pending())
    assert pending == [("test.other", [9]), ("test.record", [7])]
    assert [t.args for t in job_queue.huey.scheduled()] == [("test.record", {"ids": [10]})]
    assert rewrite_queued(job_queue.huey, without_8) == 0
