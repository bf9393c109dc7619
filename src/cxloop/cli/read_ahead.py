"""Read and validate the next batches of an import in a child process while this process stores the current one.

Reading, parsing and validating a batch is Python work; storing it is mostly database work (inside SQLite's C code,
or in the PostgreSQL server). Run one after the other, each waits for the other; in two processes they overlap on
the machine's two cores. The child reads the file, runs the import kind's read-only `prepare` on its own database
connection, and passes each prepared batch through a bounded queue (two batches ahead at most, so memory stays
flat); the parent stores the batches in order, one transaction each.

The child sees what the parent committed, not what it is about to commit: a row whose key the previous batch is
storing still reaches `store`, which finds it there and counts it as a duplicate (as with a concurrent writer).
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cxloop.storage.database import Database

AHEAD = 2  # prepared batches waiting at most
_POLL_SECONDS = 1.0


class ReadFailed(Exception):
    """The child could not read the file (`unreadable`: the file is at fault, else a bug) - after the batches that
    came before the problem were handed over."""

    def __init__(self, message: str, *, unreadable: bool) -> None:
        super().__init__(message)
        self.unreadable = unreadable


@dataclass
class ReadBatch:
    prepared: Any  # what the kind's `prepare` made of the rows
    rows: list[tuple[int, Any]] | None  # the rows as read, when the caller keeps rejected rows (--errors)
    position: int  # bytes of the file read so far
    count: int  # rows in the batch


Prepare = Callable[[Session | None, list[tuple[int, Any]], list[str] | None], Any]
OpenBatches = Callable[[ExitStack], tuple[list[str] | None, Iterator[list[tuple[int, Any]]], Callable[[], int]]]


class ReadAhead:
    """The prepared batches of a file, made by a child process; `open_batches(stack)` opens the file there.

    `prepare` gets a read-only session on `database_url` (None: no database). Iterating raises ReadFailed after the
    last good batch when the child failed; `unreadable` is the exception type that means the file is at fault.
    Use as a context manager: the child starts on entering and is stopped on leaving. Where processes cannot be
    forked (Windows), or with `in_process=True`, the batches are prepared in this process, one after the other.
    """

    def __init__(
        self,
        open_batches: OpenBatches,
        prepare: Prepare,
        *,
        database_url: str | None,
        keep_rows: bool,
        unreadable: type[Exception],
        in_process: bool = False,
    ) -> None:
        self.arguments = (open_batches, prepare, database_url, keep_rows)
        self.unreadable = unreadable
        self.child: Any = None
        if in_process or "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")  # the child inherits the callables; only batches are pickled
        self.queue: Any = context.Queue(maxsize=AHEAD)
        self.child = context.Process(
            target=_child, args=(*self.arguments, unreadable, self.queue), name="cxloop-import-reader", daemon=True
        )

    def __enter__(self) -> ReadAhead:
        if self.child is not None:
            self.child.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.child is None:
            return
        if self.child.is_alive():
            self.child.terminate()
        self.child.join(5)
        self.queue.close()

    def __iter__(self) -> Iterator[ReadBatch]:
        if self.child is None:
            try:
                yield from _prepared(*self.arguments)
            except self.unreadable as exc:
                raise ReadFailed(str(exc), unreadable=True) from exc
            return
        while True:
            try:
                message = self.queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not self.child.is_alive():
                    raise ReadFailed(
                        f"the reader process stopped (exit code {self.child.exitcode})", unreadable=False
                    ) from None
                continue
            kind = message[0]
            if kind == "batch":
                yield message[1]
            elif kind == "done":
                return
            else:
                raise ReadFailed(message[1], unreadable=kind == "unreadable")


def _child(
    open_batches: OpenBatches,
    prepare: Prepare,
    database_url: str | None,
    keep_rows: bool,
    unreadable: type[Exception],
    batches: Any,
) -> None:
    try:
        for batch in _prepared(open_batches, prepare, database_url, keep_rows):
            batches.put(("batch", batch))
        batches.put(("done",))
    except unreadable as exc:
        batches.put(("unreadable", str(exc)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        batches.put(("failed", traceback.format_exc()))
    finally:
        batches.close()
        batches.join_thread()  # everything put is flushed to the pipe before the process exits


def _prepared(
    open_batches: OpenBatches, prepare: Prepare, database_url: str | None, keep_rows: bool
) -> Iterator[ReadBatch]:
    # A connection of its own: in a forked child, the parent's engine is never touched.
    db = Database(database_url) if database_url else None
    try:
        with ExitStack() as stack:
            header, source, position = open_batches(stack)
            for rows in source:
                if db is None:
                    prepared = prepare(None, rows, header)
                else:
                    with db.unit_of_work() as session:
                        prepared = prepare(session, rows, header)
                yield ReadBatch(prepared, rows if keep_rows else None, position(), len(rows))
    finally:
        if db is not None:
            db.dispose()
