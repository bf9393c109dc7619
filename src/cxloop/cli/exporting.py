"""`cxloop export {responses|feedback|customers|cases}` (docs/importing.md, "Exporting").

Streams rows in batches (keyset pagination, so memory stays flat whatever the table size) to stdout or a file, with
a progress bar on stderr. The files use the import formats, so an export can be imported again: responses CSV has
the import columns plus `answer.<question id>`, and JSON Lines rows are ResponseCreate / FeedbackCreate /
CustomerUpsert objects.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from cxloop.cases import service as cases
from cxloop.cli.context import FormulaEscapeOption, database, err_console
from cxloop.collection import service as collection
from cxloop.collection.records import FEEDBACK_COLUMNS, RESPONSE_COLUMNS
from cxloop.collection.schemas import FeedbackRead, ResponseRead
from cxloop.core.clock import parse_instant, utcnow
from cxloop.core.csv_cells import CsvWriter, csv_cell, iso_instant
from cxloop.customers import service as customers

app = typer.Typer(help="Export responses, feedback, customers or cases as CSV or JSON Lines.", no_args_is_help=True)


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def _response_key(r: ResponseRead) -> str:
    # Rows stored without a key get a stable one, so importing the export twice stores each response once.
    return r.idempotency_key or f"cxloop-response-{r.id}"


# The import formats, without `id` (an alias of the key column): an export always imports again.
_RESPONSE_COLUMNS = [c for c in RESPONSE_COLUMNS if c != "id"]


def _response_cells(r: ResponseRead, answers: Sequence[str]) -> list[str]:
    fixed = [
        r.survey,
        r.version,
        r.customer_external_id,
        r.channel,
        r.touchpoint,
        r.submitted_at,
        r.nps,
        r.csat,
        r.ces,
        r.comment,
        r.locale,
        _response_key(r),
        r.is_partial,
        r.metadata,
    ]
    return [csv_cell(v) for v in fixed] + [csv_cell(r.answers.get(q)) for q in answers]


def _response_object(r: ResponseRead) -> dict[str, Any]:
    return {
        "survey": r.survey,
        "version": r.version,
        "customer_external_id": r.customer_external_id,
        "channel": r.channel,
        "touchpoint": r.touchpoint,
        "answers": r.answers,
        "submitted_at": iso_instant(r.submitted_at),
        "locale": r.locale,
        "metadata": r.metadata,
        "is_partial": r.is_partial,
        "idempotency_key": _response_key(r),
    }


_FEEDBACK_COLUMNS = [c for c in FEEDBACK_COLUMNS if c != "id"]


def _feedback_object(f: FeedbackRead) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "source": f.source,
        "external_id": f.external_id,
        "channel": f.channel,
        "text": f.text,
        "rating": f.rating,
        "author": f.author,
        "author_email": f.author_email,
        "url": f.url,
        "customer_external_id": f.customer_external_id,
        "touchpoint": f.touchpoint,
        "posted_at": iso_instant(f.posted_at),
        "metadata": f.metadata,
    }


def _feedback_cells(f: FeedbackRead, _: Sequence[str]) -> list[str]:
    values = _feedback_object(f)
    values["customer_id"] = values.pop("customer_external_id")
    return [csv_cell(values[c]) for c in _FEEDBACK_COLUMNS]


@dataclass(frozen=True)
class _Export:
    name: str
    help: str
    batches: Callable[[Session, datetime | None, datetime | None, int], Iterator[Sequence[Any]]]
    columns: list[str]
    open_columns: Callable[[Session], tuple[str, list[str]]]  # (prefix, names) of the open-ended columns
    cells: Callable[[Any, Sequence[str]], list[str]]
    obj: Callable[[Any], dict[str, Any]]
    count: Callable[[Session, datetime | None, datetime | None], int]


EXPORTS = (
    _Export(
        "responses",
        "Export responses (filter --since/--until on submitted_at).",
        lambda s, since, until, n: collection.iter_responses(s, since=since, until=until, batch_size=n),
        _RESPONSE_COLUMNS,
        lambda s: ("answer.", collection.answer_columns(s)),
        _response_cells,
        _response_object,
        lambda s, since, until: collection.count_responses(s, since=since, until=until),
    ),
    _Export(
        "feedback",
        "Export feedback items (filter --since/--until on posted_at).",
        lambda s, since, until, n: collection.iter_feedback(s, since=since, until=until, batch_size=n),
        _FEEDBACK_COLUMNS,
        lambda _s: ("", []),
        _feedback_cells,
        _feedback_object,
        lambda s, since, until: collection.count_feedback(s, since=since, until=until),
    ),
    _Export(
        "customers",
        "Export customers (filter --since/--until on updated_at).",
        lambda s, since, until, n: customers.iter_customers(s, since=since, until=until, batch_size=n),
        customers.CUSTOMER_EXPORT_COLUMNS,
        lambda s: ("attr.", customers.customer_attribute_names(s)),
        customers.customer_csv_row,
        customers.customer_json,
        lambda s, since, until: customers.count_customers(s, since=since, until=until),
    ),
    _Export(
        "cases",
        "Export cases with every timestamp, owner, team and feedback ids (filter --since/--until on created_at).",
        lambda s, since, until, n: cases.iter_case_rows(s, as_of=utcnow(), since=since, until=until, batch_size=n),
        cases.CASE_EXPORT_COLUMNS,
        lambda _s: ("", []),
        cases.case_cells,
        cases.case_json,
        lambda s, since, until: cases.count_cases(s, since=since, until=until),
    ),
)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        err_console.print(f"[bold red]error:[/] {option} must be an ISO-8601 date or date-time, e.g. 2024-05-01")
        raise typer.Exit(2) from exc


def run_export(
    export: _Export,
    out: IO[str],
    fmt: ExportFormat,
    since: datetime | None,
    until: datetime | None,
    batch_size: int,
    *,
    formula_escape: bool = True,
) -> int:
    """Write every row to `out`; returns how many."""
    written = 0
    with database().unit_of_work() as session:
        total = export.count(session, since, until)
        prefix, extra = export.open_columns(session)
        writer = CsvWriter(out, formula_escape=formula_escape) if fmt == ExportFormat.csv else None
        if writer is not None:
            writer.writerow([*export.columns, *(prefix + name for name in extra)])
        with Progress(
            TextColumn(f"[bold]export {export.name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
        ) as progress:
            task = progress.add_task(export.name, total=total)
            for batch in export.batches(session, since, until, batch_size):
                if writer is not None:
                    writer.writerows(export.cells(row, extra) for row in batch)
                else:
                    out.write("".join(orjson.dumps(export.obj(row)).decode() + "\n" for row in batch))
                written += len(batch)
                progress.update(task, completed=written)
    return written


def _command(export: _Export) -> Callable[..., None]:
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
        start, end = _when(since, "--since"), _when(until, "--until")
        with ExitStack() as stack:
            out: IO[str] = stack.enter_context(output.open("w", newline="", encoding="utf-8")) if output else sys.stdout
            written = run_export(export, out, file_format, start, end, batch_size, formula_escape=formula_escape)
            out.flush()
        err_console.print(f"[green]exported {written:,} {export.name}[/]" + (f" to {output}" if output else ""))

    command.__doc__ = export.help
    return command


for _export in EXPORTS:
    app.command(_export.name)(_command(_export))
