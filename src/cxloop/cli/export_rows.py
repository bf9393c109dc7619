"""What `cxloop export {responses|feedback|customers}` runs (docs/importing.md, "Exporting"); the commands are in
cli/exporting.py, which imports this module only when one runs.

Streams rows in batches (keyset pagination, so memory stays flat whatever the table size) to stdout or a file, with
a progress bar on stderr. The files use the import formats, so an export can be imported again: responses CSV has
the import columns plus `answer.<question id>`, and JSON Lines rows are ResponseCreate / FeedbackCreate /
CustomerUpsert objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import orjson
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from cxloop.cases import service as cases
from cxloop.cli.context import database, err_console
from cxloop.cli.exporting import ExportFormat
from cxloop.collection import service as collection
from cxloop.collection.records import FEEDBACK_COLUMNS, RESPONSE_COLUMNS
from cxloop.collection.schemas import ENRICHMENT_COLUMNS, FeedbackRead, ResponseRead
from cxloop.core.clock import utcnow
from cxloop.core.csv_cells import CsvWriter, csv_cell, iso_instant
from cxloop.customers import service as customers


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


def _enrichment(kind: str) -> Callable[[Session, Sequence[Any]], list[dict[str, Any]]]:
    """The text enrichment columns of a batch of rows (empty until analysed; text/service.export_fields)."""

    def columns(session: Session, batch: Sequence[Any]) -> list[dict[str, Any]]:
        from cxloop.text import service as text
        from cxloop.text.enums import ItemKind

        found = text.export_fields(session, kind=ItemKind(kind), ids=[row.id for row in batch])
        empty = dict.fromkeys(ENRICHMENT_COLUMNS)
        return [found.get(row.id, empty) for row in batch]

    return columns


@dataclass(frozen=True)
class _Export:
    name: str
    batches: Callable[[Session, datetime | None, datetime | None, int], Iterator[Sequence[Any]]]
    columns: list[str]
    open_columns: Callable[[Session], tuple[str, list[str]]]  # (prefix, names) of the open-ended columns
    cells: Callable[[Any, Sequence[str]], list[str]]
    obj: Callable[[Any], dict[str, Any]]
    count: Callable[[Session, datetime | None, datetime | None], int]
    enrichment: Callable[[Session, Sequence[Any]], list[dict[str, Any]]] | None = None


EXPORTS = (
    _Export(
        "responses",
        lambda s, since, until, n: collection.iter_responses(s, since=since, until=until, batch_size=n),
        _RESPONSE_COLUMNS,
        lambda s: ("answer.", collection.answer_columns(s)),
        _response_cells,
        _response_object,
        lambda s, since, until: collection.count_responses(s, since=since, until=until),
        _enrichment("response"),
    ),
    _Export(
        "feedback",
        lambda s, since, until, n: collection.iter_feedback(s, since=since, until=until, batch_size=n),
        _FEEDBACK_COLUMNS,
        lambda _s: ("", []),
        _feedback_cells,
        _feedback_object,
        lambda s, since, until: collection.count_feedback(s, since=since, until=until),
        _enrichment("feedback"),
    ),
    _Export(
        "customers",
        lambda s, since, until, n: customers.iter_customers(s, since=since, until=until, batch_size=n),
        customers.CUSTOMER_EXPORT_COLUMNS,
        lambda s: ("attr.", customers.customer_attribute_names(s)),
        customers.customer_csv_row,
        customers.customer_json,
        lambda s, since, until: customers.count_customers(s, since=since, until=until),
    ),
    _Export(
        "cases",
        lambda s, since, until, n: cases.iter_case_rows(s, as_of=utcnow(), since=since, until=until, batch_size=n),
        cases.CASE_EXPORT_COLUMNS,
        lambda _s: ("", []),
        cases.case_cells,
        cases.case_json,
        lambda s, since, until: cases.count_cases(s, since=since, until=until),
    ),
)


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
        enriched = list(ENRICHMENT_COLUMNS) if export.enrichment is not None else []
        if writer is not None:
            writer.writerow([*export.columns, *(prefix + name for name in extra), *enriched])
        with Progress(
            TextColumn(f"[bold]export {export.name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
        ) as progress:
            task = progress.add_task(export.name, total=total)
            for batch in export.batches(session, since, until, batch_size):
                added = export.enrichment(session, batch) if export.enrichment else [{} for _ in batch]
                if writer is not None:
                    writer.writerows(
                        export.cells(row, extra) + [csv_cell(more[c]) for c in enriched]
                        for row, more in zip(batch, added, strict=True)
                    )
                else:
                    out.write(
                        "".join(
                            orjson.dumps(export.obj(row) | more).decode() + "\n"
                            for row, more in zip(batch, added, strict=True)
                        )
                    )
                written += len(batch)
                progress.update(task, completed=written)
    return written


EXPORT = {export.name: export for export in EXPORTS}
