"""`cxloop outbox status|retry|replay`: look after the outbox (docs/development/events-and-outbox.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database, fail
from cxloop.core.clock import ensure_utc

app = typer.Typer(
    help="The outbox: events waiting for handlers, dead letters, retries and replays.", no_args_is_help=True
)


@app.command("status")
def status() -> None:
    """Deliveries per event, handler and status; the oldest waiting event's age; dead letters with their error."""
    from cxloop.jobs import service as outbox

    with database().unit_of_work() as session:
        report = outbox.outbox_status(session)
    table = Table("event", "handler", "status", "deliveries")
    for row in report.counts:
        table.add_row(row.event, row.handler, row.status, str(row.count))
    console.print(table)
    age = "-" if report.oldest_pending_seconds is None else f"{report.oldest_pending_seconds:.1f} s"
    console.print(f"events not yet relayed: {report.unrelayed_events}   oldest waiting: {age}")
    if report.dead:
        dead = Table("delivery", "event", "name", "handler", "attempts", "last error", title="dead letters")
        for d in report.dead:
            dead.add_row(
                str(d.delivery_id), str(d.event_id), d.event, d.handler, str(d.attempts), escape(d.last_error or "")
            )
        console.print(dead)


@app.command("retry")
def retry(
    delivery_ids: Annotated[list[int] | None, typer.Argument(help="Dead deliveries to retry (default: all).")] = None,
) -> None:
    """Dead deliveries run again, with fresh attempts."""
    from cxloop.jobs import service as outbox

    with database().unit_of_work(write=True) as session:
        count = outbox.retry_dead(session, delivery_ids=delivery_ids or None)
    console.print(f"{count} dead deliveries will run again")


@app.command("replay")
def replay(
    event_ids: Annotated[list[int] | None, typer.Argument(help="Events to replay, by id.")] = None,
    name: Annotated[str | None, typer.Option(help="Replay the events of this name, e.g. response.received.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Events stored at or after this UTC time.")] = None,
    until: Annotated[datetime | None, typer.Option(help="Events stored before this UTC time.")] = None,
) -> None:
    """Hand events to all their handlers again (they must tolerate a second run)."""
    from cxloop.jobs import service as outbox

    if not (event_ids or name or since or until):
        raise fail("name the events: ids, --name and/or --since/--until")
    with database().unit_of_work(write=True) as session:
        count = outbox.replay_events(
            session,
            event_ids=event_ids or None,
            name=name,
            since=ensure_utc(since) if since else None,
            until=ensure_utc(until) if until else None,
        )
    console.print(f"{count} events will be handed to their handlers again")
