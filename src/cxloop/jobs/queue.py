"""The Huey queue: SQLite storage in the data directory by default (nothing to install), Redis when
`CXLOOP_REDIS_URL` is set. One Huey task, `cxloop.job`, carries every job as (name, payload); the worker process
resolves the name through its JobRegistry, so the web process can queue jobs without importing any handler.

`name` separates queues sharing one storage: on Redis it prefixes every key, so two installations (or two test runs)
on the same server never see each other's jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from huey.storage import RedisStorage, SqliteStorage

from cxloop.core.config import Settings
from cxloop.jobs.registry import JobRegistry

log = logging.getLogger(__name__)

DEFAULT_NAME = "cxloop"
TASK_NAME = "cxloop.job"
# A failed job (say, the database was restarting) is tried again, a little later each time.
RETRIES = 5
RETRY_DELAY_SECONDS = 5

Runner = Callable[[str, Mapping[str, Any]], None]


def build_huey(settings: Settings, *, name: str = DEFAULT_NAME) -> Huey:
    """Huey on Redis when settings.redis_url is set, else on `<data_dir>/jobs.db` (SQLite)."""
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str((settings.data_dir / "jobs.db").resolve()))


class JobQueue:
    """A Huey instance with cxloop's one generic task; `serve` makes it run jobs from a registry."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._runner: Runner | None = None
        self._task = huey.task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, name=TASK_NAME)(self._run)

    def _run(self, name: str, payload: Mapping[str, Any]) -> None:
        if self._runner is None:
            raise RuntimeError("this queue only sends jobs: no registry is being served in this process")
        self._runner(name, payload)

    def enqueue(self, name: str, payload: Mapping[str, Any] | None = None, *, eta: datetime | None = None) -> None:
        """Queue job `name` (run at once, or not before `eta`)."""
        args = (name, dict(payload or {}))
        if eta is None:
            self._task(*args)
        else:
            self._task.schedule(args=args, eta=eta)

    def serve(self, registry: JobRegistry[Any], context: Any) -> None:
        """Run the registry's jobs with `context`, and schedule its periodic jobs (for the consumer's scheduler)."""
        registry.freeze()
        self._runner = lambda name, payload: _run_logged(registry, context, name, payload)
        for job in registry:
            if job.every_minutes is None:
                continue
            minutes = {1: "*", 60: "0"}.get(job.every_minutes, f"*/{job.every_minutes}")
            periodic = self.huey.periodic_task(crontab(minute=minutes), name=job.name)
            periodic(_periodic_body(self, job.name))

    def consumer(self, *, workers: int = 1, poll_seconds: float = 0.25, periodic: bool = True) -> Consumer:
        """A consumer with `workers` threads. SQLite storage is polled: `poll_seconds` caps the wait between
        polls (Huey's default backs off to 10 s, too slow for "ticket solved -> email within 2 s")."""
        return self.huey.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=periodic,
            initial_delay=min(0.05, poll_seconds),
            backoff=1.5,
            max_delay=poll_seconds,
            check_worker_health=True,
        )


def _periodic_body(queue: JobQueue, name: str) -> Callable[[], None]:
    def body() -> None:
        queue._run(name, {})

    body.__name__ = name.replace(".", "_")
    return body


def _run_logged(registry: JobRegistry[Any], context: Any, name: str, payload: Mapping[str, Any]) -> None:
    try:
        registry.run(context, name, payload)
    except Exception:
        log.exception("job %r failed (it is retried up to %d times)", name, RETRIES)
        raise


def enqueuer(settings: Settings, *, name: str = DEFAULT_NAME) -> Callable[[str, dict[str, Any]], None]:
    """A function that queues a job on the settings' queue; the Huey connection is made on first use."""
    queue: list[JobQueue] = []

    def enqueue(job_name: str, payload: dict[str, Any]) -> None:
        if not queue:
            queue.append(JobQueue(build_huey(settings, name=name)))
        queue[0].enqueue(job_name, payload)

    return enqueue


PayloadRewrite = Callable[[str, dict[str, Any]], dict[str, Any] | None]


def rewrite_queued(huey: Huey, rewrite: PayloadRewrite) -> int:
    """Pass every queued and scheduled job's (name, payload) through `rewrite`: the same payload keeps the job, a
    new one replaces it, None drops it. Returns how many jobs changed or went (privacy erasure, docs/privacy.md)."""
    storage = huey.storage

    def rewritten(data: bytes) -> bytes | None | bool:
        """False: unchanged; None: drop; bytes: the new message."""
        try:
            message = huey.serializer.deserialize(data)
        except Exception:  # not ours to judge: leave it
            return False
        # Huey prefixes the task name with the module that registered it.
        if not message.name.endswith(TASK_NAME) or len(message.args) != 2:
            return False
        name, payload = message.args
        new = rewrite(name, dict(payload))
        if new == payload:
            return False
        return None if new is None else huey.serializer.serialize(message._replace(args=(name, new)))

    changed = 0
    if isinstance(storage, SqliteStorage):
        for table in ("task", "schedule"):
            rows = storage.sql(f"select id, data from {table} where queue = ?", (storage.name,), results=True)  # noqa: S608
            for row_id, data in rows or ():
                new = rewritten(data)
                if new is False:
                    continue
                with storage.db(commit=True) as cursor:
                    cursor.execute("pragma secure_delete = on")
                    if new is None:
                        cursor.execute(f"delete from {table} where id = ?", (row_id,))  # noqa: S608
                    else:
                        cursor.execute(f"update {table} set data = ? where id = ?", (new, row_id))  # noqa: S608
                changed += 1
        storage.sql("pragma wal_checkpoint(truncate)")
    elif isinstance(storage, RedisStorage):
        for data in storage.conn.lrange(storage.queue_key, 0, -1):
            new = rewritten(data)
            if new is not False and storage.conn.lrem(storage.queue_key, 1, data):
                changed += 1
                if isinstance(new, bytes):
                    storage.conn.rpush(storage.queue_key, new)  # back at the head: brpop takes it next
        for data, score in storage.conn.zrange(storage.schedule_key, 0, -1, withscores=True):
            new = rewritten(data)
            if new is not False and storage.conn.zrem(storage.schedule_key, data):
                changed += 1
                if isinstance(new, bytes):
                    storage.conn.zadd(storage.schedule_key, {new: score})
    return changed
