"""`cxloop import {customers|responses|feedback|events|reviews} FILE` (docs/importing.md).

Reads CSV or JSON Lines in batches, one transaction per batch, so a crash keeps the finished batches and a re-run
stores nothing twice (responses by their `response_id`, feedback and events by their source id, customers by
external id). Every bad row is reported with its physical line (the CSV header is line 1; a quoted field spanning
lines counts each of its lines) and the good rows are kept. Exit codes: 0 all rows good, 1 some rows rejected,
2 the file could not be read.

The commands only parse their options here; the import itself (cli/import_files.py, and through it the services
and SQLAlchemy) is imported when one runs, so `cxloop import --help` starts at once.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cxloop.cli.context import err_console
from cxloop.core.errors import CxloopError

app = typer.Typer(
    help="Import customers, responses, feedback, events or reviews from CSV or JSON Lines.", no_args_is_help=True
)


class FileFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


# One command per kind of import_files.KINDS (a test keeps the two in step).
COMMANDS = {
    "customers": "Create or update customers by external_id (CSV: CustomerUpsert fields, attr.<name> for attributes).",
    "responses": "Import survey responses (CSV: survey, customer_id, ..., answer.<question id>; "
    "JSONL: ResponseCreate).",
    "feedback": "Import feedback items: reviews, posts, transcripts (deduplicated on source + external_id).",
    "events": "Import behavioural events (CSV: customer_id, name, occurred_at, event_id, prop.<name>).",
    "reviews": "Import reviews and social posts (source, external_id, text, rating, author, ...), linked by handle.",
}


def _command(name: str) -> Callable[..., None]:
    def command(
        file: Annotated[Path, typer.Argument(help="The CSV or JSON Lines file to import.")],
        file_format: Annotated[
            FileFormat | None, typer.Option("--format", help="csv or jsonl (default: from the file extension).")
        ] = None,
        batch_size: Annotated[
            int | None,
            typer.Option(
                min=1,
                max=100_000,
                help="Rows per transaction (default: 100,000 responses, 50,000 feedback, 5,000 others).",
            ),
        ] = None,
        errors: Annotated[
            Path | None, typer.Option("--errors", help="Write the rejected rows to this CSV, with a _reason column.")
        ] = None,
        formula_escape: Annotated[
            bool,
            typer.Option(
                "--formula-escape/--no-formula-escape",
                help="Remove the ' an export put before formula-like cells (=, +, -, @, tab, CR); "
                "--no-formula-escape reads every cell verbatim (for files exported with --no-formula-escape).",
            ),
        ] = True,
    ) -> None:
        from cxloop.cli import import_files

        kind = import_files.KIND[name]
        try:
            totals = import_files.run_import(
                kind, file, file_format, batch_size or kind.batch_size, errors, formula_escape=formula_escape
            )
        except import_files.Unreadable as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from exc
        except CxloopError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
            raise typer.Exit(2) from exc
        parts = [f"imported {totals.created:,}"]
        if kind.updates:
            parts.append(f"updated {totals.updated:,}")
        parts += [f"duplicates {totals.duplicates:,}", f"rejected {totals.rejected:,}"]
        colour = "green" if totals.rejected == 0 else "yellow"
        err_console.print(f"[{colour}]{kind.name}: {', '.join(parts)}[/] ({totals.rows:,} rows read)")
        if totals.rejected:
            raise typer.Exit(1)

    command.__doc__ = COMMANDS[name]
    return command


for _name in COMMANDS:
    app.command(_name)(_command(_name))
