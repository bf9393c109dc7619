"""The database as async request handlers reach it without blocking the event loop.

Reads run in the thread pool (beside the sync endpoints), writes on the process's writer thread (storage/writer.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from sqlalchemy.orm import Session

from cxloop.storage.database import Database
from cxloop.storage.writer import Writer

T = TypeVar("T")


class AsyncDatabase:
    """`await read(work)` / `await write(work)`: `work(session)` in a read or write unit of work, off the loop."""

    def __init__(self, database: Database, writer: Writer) -> None:
        self.database = database
        self.writer = writer

    async def read(self, work: Callable[[Session], T]) -> T:
        return await anyio.to_thread.run_sync(self._read, work)

    async def write(self, work: Callable[[Session], T]) -> T:
        return await self.writer.run(work)

    def _read(self, work: Callable[[Session], T]) -> T:
        with self.database.unit_of_work() as session:
            return work(session)
