"""Group commit for single-response POSTs: requests that arrive together share one transaction.

One response per request is how widgets and webhooks send feedback, and a transaction per response is what limits
throughput (SQLite has one writer; PostgreSQL serialises on the hottest rollup rows). The coalescer is a group of the
process's writer (storage/writer.py): whatever has gathered while the previous write ran, up to `max_items`, is
stored in one transaction via `service.submit_each`, so each request still gets exactly its own result. If that
transaction fails for an unexpected reason, every request in it is retried alone, so one bad apple never fails the
others.
"""

from __future__ import annotations

from cxloop.collection import service as collection
from cxloop.storage.database import Database
from cxloop.storage.writer import Group, Writer

_Item = tuple[object, str | None]


class ResponseCoalescer(Group[_Item, collection.ItemResult]):
    """Single responses of one process, stored in shared transactions on its writer thread."""

    def __init__(self, database: Database, writer: Writer, *, max_items: int = 200) -> None:
        self.database = database
        self.writer = writer
        self.max_items = max_items

    async def submit(self, payload: object, key: str | None) -> collection.ItemResult:
        """Store one response (in a shared transaction) and return its result."""
        return await self.writer.join(self, (payload, key))

    def store(self, items: list[_Item]) -> list[collection.ItemResult]:
        return self._store([payload for payload, _ in items], [key for _, key in items])

    def _store(self, payloads: list[object], keys: list[str | None]) -> list[collection.ItemResult]:
        with self.database.unit_of_work(write=True) as session:
            return collection.submit_each(session, payloads=payloads, idempotency_keys=keys)
