"""One writer per server process: a thread that runs the write transactions of the async request handlers.

A write may wait: on SQLite for the `<file>.writer` lock another process holds, on PostgreSQL for a row or advisory
lock. Done inside a handler it would stop the event loop and every other request of the process with it. Handlers
hand the write to the writer instead and await its result, so the loop keeps answering meanwhile.

Group commit: items joined to a `Group` while the previous write ran are stored in one transaction (up to
`max_items`), each still getting its own result; if that transaction fails, each item is retried alone, so one bad
item never fails the others (collection/coalescer.py groups single responses this way).

The thread starts on first use and ends after `IDLE_SECONDS` without work (or at `stop()`, from the app's lifespan),
so apps that are built and dropped (tests) leave no thread behind. The CLI and the job worker are no event loops:
they call `Database.unit_of_work(write=True)` directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from cxloop.storage.database import Database

log = logging.getLogger(__name__)

T = TypeVar("T")
Item = TypeVar("Item")
Result = TypeVar("Result")

IDLE_SECONDS = 30.0
GROUP_LINGER_SECONDS = 0.005
GROUP_PAUSE_SECONDS = 0.0005


class Group(Generic[Item, Result]):
    """Items stored together: `store` writes up to `max_items` of them in one transaction, one result per item."""

    max_items = 200

    def store(self, items: list[Item]) -> list[Result]:
        raise NotImplementedError


class _Outcome:
    """Where a result goes: an asyncio future (settled on its loop) or a concurrent future (a blocked thread)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self.awaited: asyncio.Future[Any] | None = loop.create_future() if loop is not None else None
        self.waited: concurrent.futures.Future[Any] | None = None if loop is not None else concurrent.futures.Future()

    def settle(self, result: Any = None, error: BaseException | None = None) -> None:
        if self.waited is not None:
            if error is None:
                self.waited.set_result(result)
            else:
                self.waited.set_exception(error)
            return
        assert self._loop is not None and self.awaited is not None
        awaited = self.awaited

        def on_loop() -> None:
            if awaited.done():  # the client went away and its handler was cancelled
                return
            if error is None:
                awaited.set_result(result)
            else:
                awaited.set_exception(error)

        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits for this result any more
            self._loop.call_soon_threadsafe(on_loop)


@dataclass
class _Call:
    work: Callable[[], Any]
    outcome: _Outcome


@dataclass
class _Join:
    group: Group[Any, Any]
    item: Any
    outcome: _Outcome


@dataclass
class _Stop:
    done: threading.Event = field(default_factory=threading.Event)


class Writer:
    """The writer thread of one server process (see the module docstring)."""

    def __init__(self, database: Database, *, idle_seconds: float = IDLE_SECONDS) -> None:
        self.database = database
        self.idle_seconds = idle_seconds
        self._jobs: queue.SimpleQueue[_Call | _Join | _Stop] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive (it starts on the first write and ends when idle)."""
        return self._thread is not None

    async def run(self, work: Callable[[Session], T]) -> T:
        """`work(session)` in one write unit of work on the writer thread; its result once committed."""
        return await self.call(lambda: self._in_transaction(work))

    async def call(self, work: Callable[[], T]) -> T:
        """`work()` on the writer thread, for writes that open their own units of work (a check, then a store)."""
        outcome = _Outcome(asyncio.get_running_loop())
        self._put(_Call(work, outcome))
        assert outcome.awaited is not None
        result: T = await outcome.awaited
        return result

    async def join(self, group: Group[Item, Result], item: Item) -> Result:
        """Store `item` with the other items of `group` that gathered meanwhile; its own result."""
        outcome = _Outcome(asyncio.get_running_loop())
        self._put(_Join(group, item, outcome))
        assert outcome.awaited is not None
        result: Result = await outcome.awaited
        return result

    def run_blocking(self, work: Callable[[Session], T]) -> T:
        """As `run`, from a thread that may block (a thread-pool thread); on the writer thread it runs inline."""
        if threading.current_thread() is self._thread:
            return self._in_transaction(work)
        outcome = _Outcome()
        self._put(_Call(lambda: self._in_transaction(work), outcome))
        assert outcome.waited is not None
        result: T = outcome.waited.result()
        return result

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the queued work and end the thread (the next write starts a new one)."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            stop = _Stop()
            self._jobs.put(stop)
        stop.done.wait(timeout)
        thread.join(timeout)

    def _in_transaction(self, work: Callable[[Session], T]) -> T:
        with self.database.unit_of_work(write=True) as session:
            return work(session)

    def _put(self, job: _Call | _Join) -> None:
        with self._lock:
            self._jobs.put(job)
            if self._thread is None:
                self._start()

    def _serve(self) -> None:
        while True:
            try:
                first = self._jobs.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():  # nothing arrived meanwhile: `_put` will start a new thread
                        self._thread = None
                        return
                continue
            jobs = [first]
            self._gather(jobs)
            if isinstance(first, _Join):
                # Group commit: give the event loop a moment to hand over the requests it is reading right now, so
                # they share this transaction instead of each starting a small one (a transaction costs the same
                # round trips for 1 item as for 20). Ends as soon as nothing new came in one pause.
                deadline = time.monotonic() + GROUP_LINGER_SECONDS
                while time.monotonic() < deadline:
                    time.sleep(GROUP_PAUSE_SECONDS)
                    if not self._gather(jobs):
                        break
            if self._work_off(jobs):
                return

    def _gather(self, jobs: list[_Call | _Join | _Stop]) -> int:
        """Add whatever is queued to `jobs`, without waiting; how many were added."""
        added = 0
        while True:
            try:
                jobs.append(self._jobs.get_nowait())
            except queue.Empty:
                return added
            added += 1

    def _work_off(self, jobs: list[_Call | _Join | _Stop]) -> bool:
        """Run the jobs in order, each group's items together; True when the thread is to end."""
        groups: dict[int, list[_Join]] = {}
        for job in jobs:
            if isinstance(job, _Join):
                groups.setdefault(id(job.group), []).append(job)
        stops = []
        for job in jobs:
            if isinstance(job, _Call):
                self._call(job)
            elif isinstance(job, _Join):
                joined = groups.pop(id(job.group), [])
                for start in range(0, len(joined), job.group.max_items):
                    self._store(job.group, joined[start : start + job.group.max_items])
            else:
                stops.append(job)
        if not stops:
            return False
        with self._lock:
            self._thread = None
            if not self._jobs.empty():  # work queued after the stop goes to a new thread
                self._start()
        for stop in stops:
            stop.done.set()
        return True

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="cxloop-writer", daemon=True)
        self._thread.start()

    @staticmethod
    def _call(job: _Call) -> None:
        try:
            result = job.work()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting handler, which re-raises it
            job.outcome.settle(error=exc)
        else:
            job.outcome.settle(result)

    def _store(self, group: Group[Any, Any], joined: list[_Join]) -> None:
        try:
            results = group.store([job.item for job in joined])
        except BaseException as exc:  # whatever it is, it belongs to the callers: the thread must go on
            if len(joined) == 1:
                joined[0].outcome.settle(error=exc)
                return
            log.warning("a group write of %d items failed; retrying each alone", len(joined), exc_info=True)
            for job in joined:
                self._store(group, [job])
            return
        for job, result in zip(joined, results, strict=True):
            job.outcome.settle(result)
