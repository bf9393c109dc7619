"""A real `cxloop serve` process on the test database, and a process that holds the database's write lock."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxloop.storage.database import Database
from tests.live import serving

# Run in another process: take the write lock the way a writer does, say so, keep it for `seconds`, then commit.
# SQLite: the `<file>.writer` lock file and BEGIN IMMEDIATE. PostgreSQL: the exclusive advisory locks a deleter takes
# on the tables responses point at (storage/references.py), which every response writer waits for.
_HOLDER = """
import sys, time
import cxloop.collection.models  # noqa: F401 (maps the responses table)
from cxloop.storage import references
from cxloop.storage.database import Database

url, seconds = sys.argv[1], float(sys.argv[2])
database = Database(url)
with database.unit_of_work(write=True) as session:
    if not database.is_sqlite:
        references.lock(session, sorted(set(references.soft_columns("responses").values())))
    print("held", flush=True)
    time.sleep(seconds)
database.dispose()
"""


@pytest.fixture
def served(db: Database, tmp_path: Path) -> Iterator[str]:
    """`cxloop serve` (one process) on the test database; its base URL once /api/v1/health answers."""
    with serving(db, tmp_path) as base:
        yield base


class LockHolder:
    """Another process holding the database's write lock (see _HOLDER)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.process: subprocess.Popen[str] | None = None

    def hold(self, seconds: float) -> None:
        """Start holding; returns once the lock is held."""
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, self.url, str(seconds)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"

    def wait(self) -> None:
        assert self.process is not None
        assert self.process.wait(timeout=30) == 0

    def close(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def lock_holder(db: Database) -> Iterator[LockHolder]:
    holder = LockHolder(db.url)
    yield holder
    holder.close()
