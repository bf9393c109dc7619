"""jobs domain: the queue, the job and handler registries, and the transactional outbox.

Domains register in their tasks.py, which the worker imports at start-up (cxloop/worker.py):
- `@jobs.handler(name, schema)` / `@jobs.periodic(name, minutes=...)`: queued and periodic jobs (jobs/registry.py);
- `@jobs.on("response.received")`: outbox event handlers (jobs/handlers.py, docs/development/events-and-outbox.md).
"""

from __future__ import annotations

from typing import Any

from cxloop.jobs.events import catalog
from cxloop.jobs.handlers import Event, HandlerRegistry
from cxloop.jobs.registry import JobRegistry, NoPayload

queued: JobRegistry[Any] = JobRegistry()
event_handlers = HandlerRegistry(catalog)

handler = queued.handler
periodic = queued.periodic
on = event_handlers.on

__all__ = ["Event", "NoPayload", "event_handlers", "handler", "on", "periodic", "queued"]
