"""Group commit for single-response POSTs: requests that arrive together share one transaction.

One response per request is how widgets and webhooks send feedback, and a transaction per response is what limits
throughput (SQLite has one writer; PostgreSQL serialises on the hottest rollup rows). The coalescer queues the
requests of one server process and writes whatever has gathered while the previous write ran, up to `max_items`, in
one transaction via `service.submit_each`, so each request still gets exactly its own result. If that transaction
fails for an unexpected reason, every request in it is retried alone, so one bad apple never fails the others.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from cxloop.collection import service as collection
from cxloop.storage.database import Database

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    payload: object
    key: str | None
    future: asyncio.Future[collection.ItemResult]


class ResponseCoalescer:
    """Queue single responses of one process and store them in shared transactions."""

    def __init__(self, database: Database, *, max_items: int = 200) -> None:
        self.database = database
        self.max_items = max_items
        self._queue: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, payload: object, key: str | None) -> collection.ItemResult:
        """Store one response (in a shared transaction) and return its result."""
        future: asyncio.Future[collection.ItemResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(payload, key, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            await asyncio.sleep(0)  # let requests that are already being read join this write
            batch, self._queue = self._queue[: self.max_items], self._queue[self.max_items :]
            # Blocking on purpose, like the other ingestion handlers: the write is short and needs no thread hop.
            self._write(batch)

    def _write(self, batch: list[_Pending]) -> None:
        try:
            results = self._store([p.payload for p in batch], [p.key for p in batch])
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0].future.done():  # the client may have gone away
                    batch[0].future.set_exception(exc)
                return
            log.warning("coalesced write of %d responses failed; retrying each alone", len(batch), exc_info=True)
            for pending in batch:
                self._write([pending])
            return
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)

    def _store(self, payloads: list[object], keys: list[str | None]) -> list[collection.ItemResult]:
        with self.database.unit_of_work(write=True) as session:
            return collection.submit_each(session, payloads=payloads, idempotency_keys=keys)
