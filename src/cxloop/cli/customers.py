"""`cxloop customers ...`: one customer's timeline (docs/api-customers.md)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cxloop.cli.context import console, database

app = typer.Typer(help="A customer's timeline: everything that happened to them, newest first.", no_args_is_help=True)


@app.command("timeline")
def timeline(
    customer_id: Annotated[int, typer.Argument(min=1, help="The customer's id.")],
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many entries, newest first.")] = 50,
    cursor: Annotated[str | None, typer.Option(help="Start after this entry (the `next` cursor printed last).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one entry a line.")] = False,
) -> None:
    """Every response, feedback item, event, invitation, case and consent change of one customer, newest first."""
    import orjson

    from cxloop.access.enums import Role
    from cxloop.cases.schemas import EVERY_CASE
    from cxloop.timeline import service as timelines
    from cxloop.timeline.sources import View

    with database().unit_of_work() as session:
        page = timelines.customer_timeline(
            session,
            customer_id=customer_id,
            view=View(case_scope=EVERY_CASE, role=Role.admin),
            cursor=cursor,
            limit=limit,
        )
    if as_json:
        for entry in page.items:
            row = {"kind": entry.kind, "id": entry.id, "at": entry.at, "summary": entry.summary, "links": entry.links}
            sys.stdout.write(orjson.dumps(row).decode() + "\n")
    else:
        table = Table("at", "kind", "id", "summary")
        for entry in page.items:
            table.add_row(f"{entry.at:%Y-%m-%d %H:%M:%S}", entry.kind, str(entry.id), escape(entry.summary))
        console.print(table if page.items else "nothing yet")
    if page.next_cursor:
        typer.echo(f"next: --cursor {page.next_cursor}", err=as_json)  # JSON Lines on stdout stay parseable
