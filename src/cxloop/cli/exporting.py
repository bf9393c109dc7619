"""`cxloop export {responses|feedback|customers|cases}` (docs/importing.md, "Exporting").

The commands only parse their options here; the export itself (cli/export_rows.py, and through it the services and
SQLAlchemy) is imported when one runs, so `cxloop export --help` starts at once. Each finished export is recorded in
the audit log.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated

import typer

from cxloop.cli.context import FormulaEscapeOption, database, err_console
from cxloop.core.clock import parse_instant

app = typer.Typer(help="Export responses, feedback, customers or cases as CSV or JSON Lines.", no_args_is_help=True)


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


# One command per export of export_rows.EXPORTS (a test keeps the two in step).
COMMANDS = {
    "responses": "Export responses (filter --since/--until on submitted_at).",
    "feedback": "Export feedback items (filter --since/--until on posted_at).",
    "customers": "Export customers (filter --since/--until on updated_at).",
    "cases": "Export cases with every timestamp, owner, team and feedback ids (filter --since/--until on created_at).",
}


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        err_console.print(f"[bold red]error:[/] {option} must be an ISO-8601 date or date-time, e.g. 2024-05-01")
        raise typer.Exit(2) from exc


def record_export(name: str, *, changes: dict[str, object]) -> None:
    """An audit entry for a finished export, in a short write transaction of its own: the export itself reads in one
    long transaction, which must not hold SQLite's write lock."""
    from cxloop.audit import service as audit
    from cxloop.audit.enums import AuditAction
    from cxloop.audit.schemas import AuditActor

    with database().unit_of_work(write=True) as session:
        audit.record(session, actor=AuditActor.cli(), action=AuditAction.data_exported, target_id=name, changes=changes)


def _command(name: str) -> Callable[..., None]:
    def command(
        file_format: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl.")] = ExportFormat.csv,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
        since: Annotated[
            str | None, typer.Option(help="Only rows at or after this date-time (UTC if no zone).")
        ] = None,
        until: Annotated[str | None, typer.Option(help="Only rows before this date-time.")] = None,
        batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Rows read per query.")] = 5000,
        formula_escape: FormulaEscapeOption = True,
    ) -> None:
        from cxloop.cli import export_rows

        start, end = _when(since, "--since"), _when(until, "--until")
        with ExitStack() as stack:
            out: IO[str] = stack.enter_context(output.open("w", newline="", encoding="utf-8")) if output else sys.stdout
            written = export_rows.run_export(
                export_rows.EXPORT[name], out, file_format, start, end, batch_size, formula_escape=formula_escape
            )
            out.flush()
        where = str(output) if output else "stdout"
        record_export(
            name, changes={"rows": written, "format": file_format, "since": start, "until": end, "output": where}
        )
        err_console.print(f"[green]exported {written:,} {name}[/]" + (f" to {output}" if output else ""))

    command.__doc__ = COMMANDS[name]
    return command


for _name in COMMANDS:
    app.command(_name)(_command(_name))
