"""SQLite writers queue on a lock file beside the database, so a waiting writer starts the moment the lock is free
(SQLite's own busy handler polls with sleeps of up to 100 ms)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from cxloop.storage.database import Database


def test_writers_take_turns_on_the_lock_file(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.unit_of_work(write=True) as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    assert (tmp_path / "w.db.writer").exists()
    holding = threading.Event()
    released_at: list[float] = []
    started_at: list[float] = []

    def first() -> None:
        with db.unit_of_work(write=True) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            time.sleep(0.3)
            released_at.append(time.monotonic())

    def second() -> None:
        holding.wait(5)
        with db.unit_of_work(write=True) as session:
            started_at.append(time.monotonic())
            session.execute(text("INSERT INTO t VALUES (2)"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # The second writer waited for the first and started right after it (no polling sleep in between).
    assert 0 <= started_at[0] - released_at[0] < 0.05
    with db.unit_of_work() as session:
        assert session.execute(text("SELECT n FROM t ORDER BY rowid")).scalars().all() == [1, 2]
    db.dispose()


def test_postgresql_and_memory_databases_need_no_lock_file(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL case")
    db = Database(db_url)
    with db.unit_of_work(write=True) as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
    assert db._writer_lock is None  # noqa: SLF001
    db.dispose()
