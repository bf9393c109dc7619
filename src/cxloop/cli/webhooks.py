"""`cxloop webhooks add|list|remove|test|resume|messages|retry`: webhook and Slack destinations (docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database, fail, settings
from cxloop.notifications.enums import DestinationKind, MessageStatus

app = typer.Typer(
    help="Webhook and Slack destinations: register, health, tests, pauses and dead letters.", no_args_is_help=True
)


@app.command("add")
def add(
    url: Annotated[
        str, typer.Argument(help="Your receiver's URL, a Slack incoming webhook URL, or mailto:someone@example.com.")
    ],
    events: Annotated[
        str | None, typer.Option(help="Comma-separated event names (default: every event), e.g. case.created.")
    ] = None,
    kind: Annotated[DestinationKind, typer.Option(help="webhook (signed, Standard Webhooks), slack or email.")] = (
        DestinationKind.webhook
    ),
    description: Annotated[str, typer.Option(help="A note for whoever reads the list.")] = "",
) -> None:
    """Register a destination; a webhook's signing secret is printed this once."""
    from cxloop.core.clock import utcnow
    from cxloop.notifications import service as notifications
    from cxloop.notifications.schemas import DestinationCreate

    names = [name.strip() for name in events.split(",") if name.strip()] if events else None
    try:
        data = DestinationCreate(url=url, kind=kind, events=names, description=description)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise fail(problems) from None
    with database().unit_of_work(write=True) as session:
        made = notifications.create_destination(session, data, now=utcnow())
    console.print(f"destination {made.id}: {made.kind.value} {escape(made.url)}")
    if made.secret:
        console.print(f"signing secret (shown once, keep it with the receiver): {made.secret}", soft_wrap=True)


@app.command("list")
def list_destinations() -> None:
    """Destinations with their health: last success, failures in a row, paused, messages waiting and dead."""
    from cxloop.notifications import service as notifications

    with database().unit_of_work() as session:
        rows = notifications.list_destinations(session)
    table = Table("id", "kind", "url", "events", "last success", "failures", "paused", "pending", "dead")
    for d in rows:
        paused = f"{d.paused_at:%Y-%m-%d %H:%M} {d.pause_reason}" if d.paused_at else "-"
        table.add_row(
            str(d.id),
            d.kind.value,
            escape(d.url),
            "all" if d.events is None else ", ".join(d.events) or f"none (the inbox of user {d.user_id})",
            f"{d.last_success_at:%Y-%m-%d %H:%M:%S}" if d.last_success_at else "-",
            str(d.failures_in_a_row),
            escape(paused),
            str(d.pending),
            str(d.dead),
        )
    console.print(table)


@app.command("remove")
def remove(destination_id: Annotated[int, typer.Argument(help="The destination's id.")]) -> None:
    """Remove a destination and its messages."""
    from cxloop.notifications import service as notifications

    with database().unit_of_work(write=True) as session:
        notifications.remove_destination(session, destination_id=destination_id)
    console.print(f"destination {destination_id} removed")


@app.command("test")
def test(destination_id: Annotated[int, typer.Argument(help="The destination's id.")]) -> None:
    """Send a signed `webhook.test` message now (even to a paused destination) and print the receiver's answer."""
    from cxloop.core.clock import utcnow
    from cxloop.notifications import service as notifications
    from cxloop.worker import build_sender  # the sender with the email transport the worker uses

    with database().unit_of_work(write=True) as session:
        queued = notifications.queue_probe(session, destination_id=destination_id, now=utcnow())
    sender = build_sender(settings(), database())
    try:
        sender.run_pass(message_ids=[queued.message_id])
    finally:
        sender.close()
    with database().unit_of_work() as session:
        message = notifications.require_message(session, message_id=queued.message_id)
    if message.status is not MessageStatus.delivered:
        raise fail(f"{queued.webhook_id} was not delivered: {message.last_error} (the worker will retry it)")
    console.print(f"{queued.webhook_id} delivered (HTTP {message.last_status_code})")


@app.command("resume")
def resume(destination_id: Annotated[int, typer.Argument(help="The destination's id.")]) -> None:
    """Resume a paused destination: its waiting messages go at once."""
    from cxloop.core.clock import utcnow
    from cxloop.notifications import service as notifications

    with database().unit_of_work(write=True) as session:
        resumed = notifications.resume_destination(session, destination_id=destination_id, now=utcnow())
    console.print(f"destination {destination_id} resumed; {resumed.pending} messages waiting go now")


@app.command("messages")
def messages(
    dead: Annotated[bool, typer.Option("--dead", help="Only dead letters.")] = False,
    destination_id: Annotated[int | None, typer.Option("--destination", help="Only this destination's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """The newest messages (or dead letters) with their attempts and last error."""
    from cxloop.notifications import service as notifications

    status = MessageStatus.dead if dead else None
    with database().unit_of_work() as session:
        page = notifications.list_messages(session, status=status, destination_id=destination_id, limit=limit)
    table = Table("id", "webhook-id", "destination", "event", "status", "attempts", "last error")
    for m in page.items:
        table.add_row(
            str(m.id),
            m.webhook_id,
            str(m.destination_id),
            m.event_name,
            m.status.value,
            str(m.attempts),
            escape(m.last_error or ""),
        )
    console.print(table)
    console.print(f"{page.total} in all")


@app.command("retry")
def retry(
    message_ids: Annotated[list[int] | None, typer.Argument(help="Dead messages to retry (default: all).")] = None,
    destination_id: Annotated[int | None, typer.Option("--destination", help="Only this destination's.")] = None,
) -> None:
    """Dead messages go again, with fresh attempts."""
    from cxloop.core.clock import utcnow
    from cxloop.notifications import service as notifications

    with database().unit_of_work(write=True) as session:
        count = notifications.retry_dead(
            session, message_ids=message_ids or None, destination_id=destination_id, now=utcnow()
        )
    console.print(f"{count} dead messages will be sent again")
