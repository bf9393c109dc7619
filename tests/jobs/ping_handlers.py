"""A test catalog (`test.ping` -> `test.pong`) whose one handler's effect is a database write: it emits `test.pong`
in its own transaction, so counting pongs counts effects. Run as a module it is a relay process:
`python -m tests.jobs.ping_handlers <database url> <folder>` records each handler start in <folder> and hangs while
<folder>/hang exists (a test kills it there)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.jobs import outbox
from cxloop.jobs.events import EventCatalog
from cxloop.jobs.handlers import Event, HandlerRegistry
from cxloop.jobs.models import OutboxEvent
from cxloop.jobs.relay import Relay, RelayPolicy
from cxloop.storage.database import Database


class Ping(BaseModel):
    n: int


def registry(calls: list[int] | None = None, *, folder: Path | None = None) -> HandlerRegistry:
    """`tests.echo` answers each ping with a pong; `calls` records every event id it was run for."""
    catalog = EventCatalog()
    catalog.register("test.ping", Ping)
    catalog.register("test.pong", Ping)
    handlers = HandlerRegistry(catalog)

    @handlers.on("test.ping", name="tests.echo")
    def echo(session: Session, event: Event[Any]) -> None:
        if calls is not None:
            calls.append(event.id)
        if folder is not None:
            (folder / f"started-{event.id}-{event.attempt}").touch()
            while (folder / "hang").exists():
                time.sleep(0.05)
        outbox.emit(session, "test.pong", {"n": event.payload.n}, catalog=catalog)

    return handlers


def ping(db: Database, handlers: HandlerRegistry, count: int = 1) -> None:
    with db.unit_of_work(write=True) as session:
        for n in range(count):
            outbox.emit(session, "test.ping", {"n": n}, catalog=handlers.catalog)


def pongs(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).where(OutboxEvent.name == "test.pong")) or 0


def main() -> None:
    url, folder = sys.argv[1], Path(sys.argv[2])
    relay = Relay(Database(url), registry(folder=folder), RelayPolicy(lease_seconds=1.0, backoff_seconds=0.05))
    relay.run_forever(threading.Event(), poll_seconds=0.05)


if __name__ == "__main__":
    main()
