"""CSV of every row a filter selects (the explorer, the inbox, the customers list), not only the page shown: read in
batches, each in a unit of work of its own, and streamed as it is written, so memory stays that of one batch.

Every such export stops at EXPORT_ROWS rows (newest first, as the pages list them) and neutralises spreadsheet
formulas with `core/csv_cells.CsvWriter`, like every CSV cxloop writes (the web app has no opt-out; the CLI has).
The batches run after the handler returned (its unit of work is committed before the response starts), so the
request's filters and roles are read in the handler and handed to `read` as a closure.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from cxloop.core.csv_cells import CsvWriter, csv_cell
from cxloop.storage.database import Database
from cxloop.web.tables import Table

EXPORT_ROWS = 5000  # a web CSV holds at most this many rows of the filter
EXPORT_BATCH = 499  # rows read at once (the explorer's batch reads one more of each kind, and a page holds 500)

# (session, where the batch starts (None: the first), how many rows at most) -> (the rows' cells, where the next
# batch starts or None after the last)
BatchReader = Callable[[Session, Any, int], tuple[Sequence[Sequence[str]], Any]]


def csv_export(
    name: str, session: Session, database: Database, header: Sequence[str], read: BatchReader, *, start: Any = None
) -> StreamingResponse:
    """A streamed CSV download named cxloop-<name>.csv: the header, then each batch `read` returns, until the last
    batch or EXPORT_ROWS rows. The first batch is read here, in the handler's unit of work, so a bad filter is
    refused (4xx) before anything is sent."""
    rows, after = read(session, start, EXPORT_BATCH)
    return StreamingResponse(
        _lines(database, header, read, rows, after),
        media_type="text/csv; charset=utf-8",
        headers=download_headers(name),
    )


def download_headers(name: str) -> dict[str, str]:
    """The headers of a CSV download named cxloop-<name>.csv (every CSV of the web app)."""
    return {"Content-Disposition": f'attachment; filename="cxloop-{name}.csv"', "Cache-Control": "no-store"}


def _lines(
    database: Database, header: Sequence[str], read: BatchReader, rows: Sequence[Sequence[str]], after: Any
) -> Iterator[str]:
    yield _written([header, *rows])
    written = len(rows)
    while after is not None and rows and written < EXPORT_ROWS:
        with database.unit_of_work() as session:
            rows, after = read(session, after, min(EXPORT_BATCH, EXPORT_ROWS - written))
        yield _written(rows)
        written += len(rows)


def table_rows(table: Table) -> list[list[str]]:
    """A Table's rows as CSV cells (every value of every cell, as `tables.csv_text` writes them)."""
    return [[csv_cell(v) for cell in row.cells for v in cell.values] for row in table.rows]


def table_header(table: Table) -> list[str]:
    """A Table's CSV headers."""
    return [h for column in table.columns for h in column.headers]


def _written(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    CsvWriter(buffer).writerows(rows)
    return buffer.getvalue()
