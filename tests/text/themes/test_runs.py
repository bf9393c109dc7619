"""Discovery runs as jobs: queued, claimed by the worker's sweep under a lease, clustered with no transaction open,
taken up again when a worker died, refused (409) while one is going; a failed run says why. Both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, event, update

from cxloop.core.clock import utcnow
from cxloop.core.errors import Conflict
from cxloop.storage.database import Database
from cxloop.text.themes import runs
from cxloop.text.themes.models import ThemeRun
from tests.text.themes.conftest import add_survey, run_queued, store_topics


def test_the_sweep_runs_a_queued_run_once(db: Database) -> None:
    add_survey(db)
    store_topics(db, 20)
    with db.unit_of_work(write=True) as session:
        run_id = runs.queue_discovery(session, limit=1000, embedder="lsa").id
    with db.unit_of_work() as session:
        active = runs.active_run(session)
        assert active is not None and active.id == run_id and active.status == "queued"
    run_queued(db)
    with db.unit_of_work() as session:
        done = runs.get_run(session, run_id=run_id)
        assert runs.active_run(session) is None
    assert done.status == "done" and done.themes_found == 4 and done.items == 80 and done.finished_at is not None
    assert runs.run_discovery(db, run_id=run_id) is None  # done: nothing to claim
    assert runs.due_runs(db) == []


def test_a_dead_workers_run_is_taken_up_and_a_live_one_blocks_another(db: Database) -> None:
    add_survey(db)
    store_topics(db, 20)
    with db.unit_of_work(write=True) as session:
        run_id = runs.start_discovery(session, limit=1000, embedder="lsa").id
    with db.unit_of_work(write=True) as session, pytest.raises(Conflict, match=f"run {run_id} is running"):
        runs.queue_discovery(session, limit=1000, embedder="lsa")
    run_queued(db)  # its lease is live: the sweep leaves it alone
    with db.unit_of_work() as session:
        assert runs.get_run(session, run_id=run_id).status == "running"
    with db.unit_of_work(write=True) as session:  # the worker died: its lease runs out
        session.execute(update(ThemeRun).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert runs.due_runs(db) == [run_id]
    run_queued(db)
    with db.unit_of_work() as session:
        assert runs.get_run(session, run_id=run_id).themes_found == 4


def test_clustering_holds_no_transaction_and_a_failure_is_stored(db: Database) -> None:
    add_survey(db)
    store_topics(db, 20)
    state = {"open": 0}
    seen: list[tuple[str, int]] = []

    def begin(_: Connection) -> None:
        state["open"] += 1

    def end(_: Connection) -> None:
        state["open"] -= 1

    with db.unit_of_work(write=True) as session:
        run_id = runs.start_discovery(session, limit=1000, embedder="lsa").id
    listeners = (("begin", begin), ("commit", end), ("rollback", end))
    for name, listener in listeners:
        event.listen(Engine, name, listener)
    try:
        done = runs.execute(db, run_id=run_id, progress=lambda step: seen.append((step, state["open"])))
    finally:
        for name, listener in listeners:
            event.remove(Engine, name, listener)
    assert done is not None and done.status == "done"
    assert [s for s, _ in seen] == [
        "reading comments",
        "embedding",
        "clustering",
        "naming",
        "saving",
        "matching older comments",
    ]
    assert {n for _, n in seen} == {0}

    with db.unit_of_work(write=True) as session:  # a run whose comments cannot be read fails, and says why
        failing = runs.start_discovery(session, limit=1000, embedder="lsa")
        failing.embedder = "word2vec"
    failed = runs.execute(db, run_id=failing.id)
    assert failed is not None and failed.status == "failed" and failed.finished_at is not None
    assert failed.error is not None and "unknown embedder" in failed.error
