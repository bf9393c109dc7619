"""Job handlers and periodic jobs, registered by dotted name (`@jobs.handler("triggers.evaluate_events")`).

A handler takes the worker's context (whatever the composition root passes: settings, database, signer) and a small
pydantic payload that holds ids, never personal data. The payload is validated at the worker; an unknown name is
logged and dropped, so a message queued by a newer or older release cannot wedge the queue. The registry checks what
it receives at the door and is frozen once the worker starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger(__name__)

C = TypeVar("C")
P = TypeVar("P", bound=BaseModel)


class NoPayload(BaseModel):
    """The payload of jobs that need none (periodic sweeps)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Job(Generic[C]):
    """One registered job: its name, payload schema, handler and, for periodic jobs, its interval."""

    name: str
    schema: type[BaseModel]
    handle: Callable[[C, Any], None]
    every_minutes: int | None = None


class JobRegistry(Generic[C]):
    """Jobs by name. Validated at the door; frozen after startup."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job[C]] = {}
        self._frozen = False

    def _add(self, job: Job[C]) -> None:
        if self._frozen:
            raise RuntimeError("jobs are frozen: register them at startup")
        if not job.name or job.name.strip() != job.name or "." not in job.name:
            raise ValueError(f"a job name is dotted, e.g. 'triggers.sweep_time_rules', got {job.name!r}")
        if job.name in self._jobs:
            raise ValueError(f"a job named {job.name!r} is registered already")
        if not (isinstance(job.schema, type) and issubclass(job.schema, BaseModel)):
            raise TypeError(f"the payload schema of {job.name!r} must be a pydantic model")
        self._jobs[job.name] = job

    def handler(self, name: str, schema: type[P]) -> Callable[[Callable[[C, P], None]], Callable[[C, P], None]]:
        """Register `fn(context, payload)` for jobs queued under `name`."""

        def register(fn: Callable[[C, P], None]) -> Callable[[C, P], None]:
            self._add(Job(name, schema, fn))
            return fn

        return register

    def periodic(
        self, name: str, *, minutes: int
    ) -> Callable[[Callable[[C, NoPayload], None]], Callable[[C, NoPayload], None]]:
        """Register `fn(context, payload)` to run every `minutes` (1-60, aligned to the clock) by the scheduler."""
        if not 1 <= minutes <= 60:
            raise ValueError(f"a periodic job runs every 1 to 60 minutes, got {minutes}")

        def register(fn: Callable[[C, NoPayload], None]) -> Callable[[C, NoPayload], None]:
            self._add(Job(name, NoPayload, fn, every_minutes=minutes))
            return fn

        return register

    def freeze(self) -> None:
        self._frozen = True

    def __iter__(self) -> Iterator[Job[C]]:
        return iter(tuple(self._jobs.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._jobs

    def run(self, context: C, name: str, payload: Mapping[str, Any]) -> bool:
        """Validate the payload and run the job; False (logged, dropped) for an unknown name or a bad payload.

        Exceptions of the handler itself propagate, so the queue can retry the job."""
        job = self._jobs.get(name)
        if job is None:
            log.error("dropping job %r: no handler is registered under that name", name)
            return False
        try:
            parsed = job.schema.model_validate(dict(payload))
        except ValidationError as exc:
            log.error("dropping job %r: its payload is invalid: %s", name, exc)
            return False
        job.handle(context, parsed)
        return True
