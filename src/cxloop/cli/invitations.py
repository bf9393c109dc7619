"""`cxloop invitations report`: the fatigue report (docs/governance.md) as a table or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cxloop.analytics.enums import FatigueGroup
from cxloop.cli.context import console, database, fail
from cxloop.core.clock import parse_instant

if TYPE_CHECKING:
    from cxloop.analytics.fatigue import FatigueRow

GROUPS = [g.value for g in FatigueGroup]

app = typer.Typer(
    help="What happened to survey invitations: suppressed (and why), sent, answered.", no_args_is_help=True
)


def _instant(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise fail(f"{option}: '{value}' is not a date or ISO-8601 instant (e.g. 2026-01-01)", code=2) from exc


def _rate(row: FatigueRow) -> str:
    if row.response_rate is None or row.response_rate_ci is None:
        return "-" if row.response_rate is None else f"{row.response_rate:.1f} %"
    low, high = row.response_rate_ci
    return f"{row.response_rate:.1f} % ({low:.1f}-{high:.1f})"


@app.command()
def report(
    by: Annotated[str | None, typer.Option("--by", help=f"Group by one of: {', '.join(GROUPS)}.")] = None,
    since: Annotated[str | None, typer.Option(help="Invitations created from this date or instant.")] = None,
    until: Annotated[str | None, typer.Option(help="... and before this one.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """Invitations decided, suppressed by reason, pending, sent, opened and answered, with the response rate
    (answered / sent) and its 95% Wilson interval; overall or per channel, survey or touchpoint."""
    if by is not None and by not in GROUPS:
        raise fail(f"--by: '{by}' is not one of {', '.join(GROUPS)}", code=2)
    from cxloop.analytics.fatigue import fatigue_report

    start, end = _instant(since, "--since"), _instant(until, "--until")
    with database().unit_of_work() as session:
        rows = fatigue_report(session, group_by=by, since=start, until=end)
    if as_json:
        typer.echo(json.dumps([asdict(row) for row in rows], indent=2))
        return
    table = Table(title="Invitations" + (f" by {by}" if by else ""))
    for name in (by or "", "invitations", "suppressed", "pending", "sent", "failed", "opened", "answered"):
        table.add_column(name, justify="left" if name == (by or "") else "right")
    table.add_column("response rate (95% CI)", justify="right")
    table.add_column("suppressed because")
    table.add_column("delivery reported")
    for row in rows:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(row.suppressed_by_reason.items()))
        delivery = ", ".join(f"{status} {n}" for status, n in sorted(row.delivery.items()))
        counts = (row.invitations, row.suppressed, row.pending, row.sent, row.failed, row.opened, row.answered)
        table.add_row(row.group or ("all" if not by else "(none)"), *map(str, counts), _rate(row), reasons, delivery)
    if not rows:
        console.print("No invitations yet.")
        return
    console.print(table)
