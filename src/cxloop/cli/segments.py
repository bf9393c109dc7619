"""`cxloop segments ...`: list, show, refresh and validate segments (docs/segments.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database, err_console

app = typer.Typer(help="List, show, refresh and validate customer segments.", no_args_is_help=True)


@app.command("list")
def list_segments() -> None:
    """Every segment with its member count and filter."""
    from cxloop.customers import service as customers

    with database().unit_of_work() as session:
        page = customers.list_segments(session, limit=500)
        reads = customers.segment_reads(session, page.items)
    table = Table("key", "name", "members", "filter", "refreshed")
    for s in reads:
        refreshed = f"{s.refreshed_at:%Y-%m-%d %H:%M}" if s.refreshed_at else "-"
        table.add_row(s.key, escape(s.name), str(s.member_count), escape(s.filter), refreshed)
    console.print(table)
    if not reads:
        console.print("no segments yet: create one with POST /api/v1/segments")


@app.command("show")
def show(
    key: Annotated[str, typer.Argument(help="The segment's key.")],
    members: Annotated[int, typer.Option(help="How many members to list.")] = 20,
) -> None:
    """One segment: its filter, what it reads, and its first members."""
    from cxloop.customers import service as customers

    with database().unit_of_work() as session:
        segment = customers.require_segment(session, key=key)
        (read,) = customers.segment_reads(session, [segment])
        page = customers.list_members(session, segment_id=segment.id, limit=max(1, min(members, 500)))
        people = customers.customer_reads(session, page.items)
    console.print(f"[bold]{escape(read.name)}[/] ({read.key}): {escape(read.description) or 'no description'}")
    console.print(f"filter: {escape(read.filter)}")
    console.print(
        f"members: {read.member_count}   uses events: {read.uses_events}   time-dependent: {read.time_dependent}"
    )
    console.print(
        f"last full refresh: {read.refreshed_at:%Y-%m-%d %H:%M} UTC" if read.refreshed_at else "never refreshed"
    )
    table = Table("id", "external id", "email", "name")
    for c in people:
        table.add_row(str(c.id), escape(c.external_id), escape(c.email or "-"), escape(c.name or "-"))
    if people:
        console.print(table)


@app.command("refresh")
def refresh(
    key: Annotated[str | None, typer.Argument(help="One segment's key; every segment when left out.")] = None,
) -> None:
    """Recompute membership now. Tenure and event windows drift with time: `cxloop worker` does this every hour."""
    from cxloop.customers import service as customers

    with database().unit_of_work() as session:
        if key is None:
            changes = customers.refresh_all_segments(session)
        else:
            changes = [customers.refresh_segment(session, segment_id=customers.require_segment(session, key=key).id)]
        ids = [c.segment_id for c in changes]
        keys = {s.id: s.key for s in customers.list_segments(session, limit=500).items}
        counts = customers.member_counts(session, segment_ids=ids)
    table = Table("segment", "added", "removed", "members")
    for change in changes:
        table.add_row(
            keys.get(change.segment_id, str(change.segment_id)),
            str(len(change.added)),
            str(len(change.removed)),
            str(counts.get(change.segment_id, 0)),
        )
    console.print(table)


@app.command("validate")
def validate(
    text: Annotated[str, typer.Argument(metavar="FILTER", help='Filter text, e.g. "plan = enterprise".')],
) -> None:
    """Check a filter: its canonical form and how many customers match now, or where it goes wrong."""
    from cxloop.customers import service as customers
    from cxloop.customers.errors import InvalidFilter

    try:
        with database().unit_of_work() as session:
            result = customers.check_filter(session, text=text)
    except InvalidFilter as exc:
        err_console.print(escape(text), highlight=False)
        err_console.print(" " * (exc.column - 1) + "^", highlight=False)
        err_console.print(f"[bold red]error:[/] at column {exc.column}: {escape(exc.reason)}")
        raise typer.Exit(1) from exc
    console.print(f"valid: {escape(result.normalized)}", highlight=False)
    console.print(f"fields: {', '.join(result.fields)}")
    console.print(f"matches now: {result.matches} customers")
