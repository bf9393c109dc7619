"""The engine and session factory, and the unit of work every entry point opens."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from cxloop.core.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000

# CXLOOP_SQLITE_SYNCHRONOUS (docs/deployment.md, "What an acknowledged write survives"). In WAL mode `normal` syncs
# the log to disk only at checkpoints: a commit survives the process crashing but not the machine losing power or
# its kernel crashing before the next checkpoint; `full` syncs the log at every commit, so it survives both.
SqliteSynchronous = Literal["normal", "full"]


def _configure_sqlite(dbapi_connection: Any, _record: Any, *, synchronous: SqliteSynchronous) -> None:
    # WAL lets readers run beside the one writer.
    cursor = dbapi_connection.cursor()
    # Takes effect only while the file is still empty. 16 KiB pages make the B-trees of the big tables shallower:
    # a 1M-row responses import inserts ~20 % faster than with the 4 KiB default (docs/benchmarks.md).
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: str, *, sqlite_synchronous: SqliteSynchronous = "normal", **kwargs: Any) -> Engine:
    """An engine for a SQLite file or a PostgreSQL server, configured for cxloop's access pattern."""
    if url.startswith("sqlite"):
        if sqlite_synchronous not in ("normal", "full"):
            raise ValueError(f"sqlite_synchronous must be normal or full, not {sqlite_synchronous!r}")
        if (path := sqlite_file(url)) is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", partial(_configure_sqlite, synchronous=sqlite_synchronous))
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _configure_postgresql)
    return engine


def _configure_postgresql(dbapi_connection: Any, _record: Any) -> None:
    # psycopg prepares a statement on the server after five runs, and PostgreSQL then reuses a generic plan. A generic
    # plan cannot hash `col = ANY($1)` over the array it will get, so a lookup of 1,000 keys compared each row with
    # each key: 40-80 ms instead of 0.6 ms. Custom plans keep the prepared statement and plan with the real values.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database."""
    path = url.split("///", 1)[-1]
    return None if not path or path == ":memory:" else Path(path)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the block; waits for other holders, any process."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


class Database:
    """An engine plus the session factory bound to it."""

    def __init__(self, url: str, *, sqlite_synchronous: SqliteSynchronous = "normal", **engine_kwargs: Any) -> None:
        self.url = url
        self.sqlite_synchronous = sqlite_synchronous
        self.engine = make_engine(url, sqlite_synchronous=sqlite_synchronous, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        file = sqlite_file(url) if self.is_sqlite else None
        self._writer_lock = file.with_name(f"{file.name}.writer") if file is not None else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def unit_of_work(self, *, write: bool = False, lock_when_used: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends normally, rolled back when it raises.

        `write=True` on SQLite takes the write lock at the start (BEGIN IMMEDIATE): a transaction that reads and then
        writes would otherwise fail at once, not after the busy timeout, when another process committed in between.
        Such writers first queue on a lock file beside the database (`<file>.writer`): SQLite's busy handler polls
        with sleeps of up to 100 ms, the kernel wakes a file-lock waiter the moment the lock is free, which keeps the
        latency of writes from several server processes low.

        `lock_when_used=True` (with `write=True`) takes both locks only when the session first touches the database,
        so a request's other dependencies (the API key lookup, which may write) run before this transaction holds
        them (storage/deps.py).
        """
        with ExitStack() as stack:
            lock_now = write and not lock_when_used
            if lock_now and self._writer_lock is not None:
                stack.enter_context(_exclusive(self._writer_lock))
            session = self.sessions()
            if write and lock_when_used:
                event.listen(session, "after_begin", self._locker(stack))
            try:
                if lock_now and self.is_sqlite:
                    session.execute(text("BEGIN IMMEDIATE"))
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def _locker(self, stack: ExitStack) -> Callable[[Session, Any, Connection], None]:
        """An `after_begin` listener: the lock file (once) and BEGIN IMMEDIATE for each transaction that starts."""
        held = False

        def lock(_session: Session, transaction: Any, connection: Connection) -> None:
            nonlocal held
            if transaction.nested:  # a savepoint inside the transaction that is locked already
                return
            if not held and self._writer_lock is not None:
                stack.enter_context(_exclusive(self._writer_lock))
                held = True
            if self.is_sqlite:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return lock

    def dispose(self) -> None:
        self.engine.dispose()


def database_for(settings: Settings) -> Database:
    """The settings' database (CXLOOP_DATABASE_URL or the embedded file, CXLOOP_SQLITE_SYNCHRONOUS)."""
    return Database(settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous)
