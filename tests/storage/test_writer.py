"""The writer thread: results and errors reach the awaiting coroutine, groups share transactions, the loop runs on."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from cxloop.storage.database import Database
from cxloop.storage.writer import Group, Writer


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with db.unit_of_work(write=True) as session:
        session.execute(text("CREATE TABLE t (n INTEGER NOT NULL)"))
    yield db
    db.dispose()


def _rows(db: Database) -> list[int]:
    with db.unit_of_work() as session:
        return list(session.execute(text("SELECT n FROM t ORDER BY n")).scalars())


def _insert(n: int) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        return n * 10

    return work


def test_results_and_errors_reach_the_awaiting_handler(database: Database) -> None:
    writer = Writer(database)

    def failing(session: Session) -> None:
        session.execute(text("INSERT INTO t VALUES (99)"))
        raise ValueError("no")

    async def handler() -> tuple[int, str]:
        result = await writer.run(_insert(1))
        with pytest.raises(ValueError, match="no") as caught:
            await writer.run(failing)
        return result, str(caught.value)

    assert asyncio.run(handler()) == (10, "no")
    assert _rows(database) == [1]  # the failed unit of work was rolled back
    assert writer.run_blocking(_insert(2)) == 20
    assert _rows(database) == [1, 2]
    writer.stop()


class _Numbers(Group[int, int]):
    """Stores numbers in one transaction; a negative one fails the whole transaction."""

    max_items = 3

    def __init__(self, database: Database) -> None:
        self.database = database
        self.transactions: list[list[int]] = []

    def store(self, items: list[int]) -> list[int]:
        self.transactions.append(list(items))
        with self.database.unit_of_work(write=True) as session:
            for n in items:
                if n < 0:
                    raise ValueError(f"negative: {n}")
                session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        return [n * 10 for n in items]


def test_items_gathered_meanwhile_share_transactions_and_a_bad_one_fails_alone(database: Database) -> None:
    writer, numbers, busy = Writer(database), _Numbers(database), threading.Event()

    async def handler() -> list[int | BaseException]:
        blocker = asyncio.ensure_future(writer.call(lambda: busy.wait(5)))
        await asyncio.sleep(0.05)  # the writer is busy: the items below gather in its queue
        joins = [asyncio.ensure_future(writer.join(numbers, n)) for n in (1, 2, 3, 4, -5)]
        await asyncio.sleep(0.05)
        busy.set()
        await blocker
        return list(await asyncio.gather(*joins, return_exceptions=True))

    results = asyncio.run(handler())
    assert results[:4] == [10, 20, 30, 40]
    assert isinstance(results[4], ValueError)
    # At most max_items per transaction; the failed one ([4, -5]) was retried item by item.
    assert numbers.transactions == [[1, 2, 3], [4, -5], [4], [-5]]
    assert _rows(database) == [1, 2, 3, 4]
    writer.stop()


def test_the_event_loop_runs_while_a_write_waits(database: Database) -> None:
    writer, release = Writer(database), threading.Event()

    async def handler() -> int:
        write = asyncio.ensure_future(writer.call(lambda: release.wait(5)))
        ticks = 0
        started = time.perf_counter()
        while time.perf_counter() - started < 0.3:
            await asyncio.sleep(0.01)
            ticks += 1
        assert not write.done()
        release.set()
        await write
        return ticks

    assert asyncio.run(handler()) >= 15  # ~30 ticks of 10 ms while the write waited
    writer.stop()


def test_the_thread_ends_when_idle_or_stopped_and_comes_back_for_the_next_write(database: Database) -> None:
    writer = Writer(database, idle_seconds=0.1)
    assert not writer.running
    assert writer.run_blocking(_insert(1)) == 10
    assert writer.running
    deadline = time.monotonic() + 5
    while writer.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not writer.running
    assert writer.run_blocking(_insert(2)) == 20

    # stop() finishes what is queued before the thread ends.
    release = threading.Event()
    blocked = threading.Thread(target=lambda: writer.run_blocking(lambda _s: release.wait(5)))
    blocked.start()
    results: list[int] = []
    queued = threading.Thread(target=lambda: results.append(writer.run_blocking(_insert(3))))
    queued.start()
    time.sleep(0.05)
    threading.Timer(0.1, release.set).start()
    writer.stop()
    queued.join(5)
    blocked.join(5)
    assert results == [30]
    assert not writer.running
    assert _rows(database) == [1, 2, 3]
