"""What `cxloop import {customers|responses|feedback|events|reviews} FILE` runs (docs/importing.md); the commands
themselves are in cli/importing.py, which imports this module only when one runs.

Reads CSV or JSON Lines in batches, one transaction per batch, so a crash keeps the finished batches and a re-run
stores nothing twice (responses by their `response_id`, feedback and events by their source id, customers by
external id). Every bad row is reported with its physical line (the CSV header is line 1; a quoted field spanning
lines counts each of its lines) and the good rows are kept. Exit codes: 0 all rows good, 1 some rows rejected,
2 the file could not be read.
"""

from __future__ import annotations

import csv
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from cxloop.channels.reviews import service as reviews
from cxloop.cli.context import database, err_console
from cxloop.cli.importing import FileFormat
from cxloop.cli.read_ahead import ReadAhead, ReadFailed
from cxloop.collection import service as collection
from cxloop.core import json_checks
from cxloop.core.csv_cells import CsvWriter, NumberCell, unescape_formula
from cxloop.core.errors import FieldError, RowError
from cxloop.customers import service as customers

csv.field_size_limit(16 * 1024 * 1024)  # cells may hold long comments and transcripts
# The first batch is small, so the writes start while the reader process prepares the next batch.
FIRST_BATCH = 10_000


class Unreadable(Exception):
    """The file cannot be read as the format says (exit code 2)."""


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: list[RowError] = field(default_factory=list)


@dataclass
class Totals:
    """What an import did, summed over its batches."""

    created: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    rows: int = 0


# ---- reading files ---------------------------------------------------------------------------------------------


@dataclass
class _Source:
    header: list[str] | None
    batches: Iterator[list[tuple[int, Any]]]
    position: Callable[[], int]


def _open(
    path: Path, file_format: FileFormat, batch_size: int, stack: ExitStack, *, formula_escape: bool = True
) -> _Source:
    try:
        raw = stack.enter_context(path.open("rb"))
    except OSError as exc:
        raise Unreadable(f"cannot open {path}: {exc.strerror or exc}") from exc
    lines = _decoded_lines(raw)
    if file_format == FileFormat.jsonl:
        return _Source(None, _jsonl_batches(lines, batch_size), raw.tell)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise Unreadable(f"line 1: {exc}") from exc
    if not header:
        raise Unreadable("the file is empty: a CSV import needs a header row")
    read = unescape_formula if formula_escape else None
    names = [(read(h) if read else h).strip() for h in header]
    return _Source(names, _csv_batches(reader, batch_size, names, read), raw.tell)


def _decoded_lines(raw: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, line endings kept (as csv wants); a byte that is not UTF-8 names its line."""
    for number, line in enumerate(raw, start=1):
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise Unreadable(
                f"line {number}: the file is not UTF-8 text ({exc.reason} at byte {exc.start + 1})"
            ) from exc
        yield text


def _csv_batches(
    reader: Any, batch_size: int, header: list[str], read: Callable[[str], str] | None
) -> Iterator[list[tuple[int, Any]]]:
    """Batches of (line, cells), cells read by `read` (undoing the formula escape of an export); a row with more
    cells than the header is bad, not cut to fit (the extra cells are data the header does not name)."""
    batch: list[tuple[int, Any]] = []
    limit = min(batch_size, FIRST_BATCH)
    while True:
        start = reader.line_num + 1  # the physical line the record starts on; a quoted field may span lines
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise Unreadable(f"line {start}: {exc}") from exc
        if not cells or cells == [""]:
            continue  # a blank line
        if read is not None:
            cells = [read(cell) for cell in cells]
        batch.append((start, _checked_cells(cells, header)))
        if len(batch) >= limit:
            yield batch
            batch, limit = [], batch_size
    if batch:
        yield batch


def _jsonl_batches(lines: Iterator[str], batch_size: int) -> Iterator[list[tuple[int, Any]]]:
    batch: list[tuple[int, Any]] = []
    limit = min(batch_size, FIRST_BATCH)
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            value = _Bad([FieldError("line", f"not valid JSON ({exc})")])
        if not isinstance(value, dict | _Bad):
            value = _Bad([FieldError("line", "must be a JSON object")])
        elif found := json_checks.problems(value):  # too deep, or NUL characters, as over HTTP
            value = _Bad([FieldError(*problem) for problem in found])
        batch.append((line, value))
        if len(batch) >= limit:
            yield batch
            batch, limit = [], batch_size
    if batch:
        yield batch


@dataclass
class _Bad:
    """A line the reader could not turn into a value (`cells`: a CSV row as read, for the error file)."""

    errors: list[FieldError]
    cells: list[str] = field(default_factory=list)


def _checked_cells(cells: list[str], header: list[str]) -> list[str] | _Bad:
    """The row's cells, or why it is refused: more cells than the header names, or NUL characters (named by column,
    as over HTTP)."""
    if len(cells) > len(header):
        return _too_many(cells, len(header))
    found = json_checks.problems(dict(zip(header, cells, strict=False)))
    return _Bad([FieldError(*problem) for problem in found], cells) if found else cells


def _too_many(cells: list[str], columns: int) -> _Bad:
    extra = len(cells) - columns
    first = cells[columns]
    shown = first if len(first) <= 40 else first[:40] + "..."
    return _Bad(
        [
            FieldError(
                "row",
                f"{len(cells)} cells but the header names {columns} columns: {extra} extra cell"
                f"{'s' if extra > 1 else ''} from column {columns + 1} (starting '{shown}'); quote cells "
                "that contain commas",
            )
        ],
        cells,
    )


def _problems(rows: Sequence[tuple[int, Any]]) -> tuple[list[tuple[int, Any]], list[RowError]]:
    """Split the lines the reader already found bad from the rest."""
    good: list[tuple[int, Any]] = []
    bad: list[RowError] = []
    for line, value in rows:
        if isinstance(value, _Bad):
            bad.append(RowError(line, value.errors))
        else:
            good.append((line, value))
    return good, bad


# ---- what each kind of file becomes ----------------------------------------------------------------------------


def _customers(session: Session, rows: list[tuple[int, Any]], header: list[str] | None) -> BatchResult:
    rows, rejected = _problems(rows)
    done = customers.import_customers(session, rows=rows, header=header)
    return BatchResult(done.created, done.updated, done.duplicates, sorted(rejected + done.rejected, key=_line))


def _events(session: Session, rows: list[tuple[int, Any]], header: list[str] | None) -> BatchResult:
    rows, rejected = _problems(rows)
    done = customers.import_events(session, rows=rows, header=header)
    return BatchResult(done.created, done.updated, done.duplicates, sorted(rejected + done.rejected, key=_line))


@dataclass
class _PreparedResponses:
    rejected: list[RowError]  # lines the reader could not parse
    batch: collection.PreparedImport


def _prepare_responses(session: Session | None, rows: list[tuple[int, Any]], header: list[str] | None) -> Any:
    assert session is not None
    rows, rejected = _problems(rows)
    file_format: collection.FileFormat = "csv" if header else "jsonl"
    return _PreparedResponses(rejected, collection.prepare_response_import(session, rows, file_format, header))


def _store_responses(session: Session, prepared: _PreparedResponses, _header: list[str] | None) -> BatchResult:
    done = collection.store_response_import(session, prepared.batch)
    return BatchResult(done.created, 0, done.duplicates, sorted(prepared.rejected + done.rejected, key=_line))


def _feedback(session: Session, rows: list[tuple[int, Any]], header: list[str] | None) -> BatchResult:
    rows, rejected = _problems(rows)
    done = collection.import_feedback(session, rows=rows, file_format="csv" if header else "jsonl", header=header)
    return BatchResult(done.created, 0, done.duplicates, sorted(rejected + done.rejected, key=_line))


def _reviews(session: Session, rows: list[tuple[int, Any]], header: list[str] | None) -> BatchResult:
    rows, rejected = _problems(rows)
    done = reviews.import_reviews(session, rows=rows, header=header)  # docs/channels-helpdesk-reviews.md
    return BatchResult(done.created, 0, done.duplicates, sorted(rejected + done.rejected, key=_line))


def _line(error: RowError) -> int:
    return error.line


def _as_read(_session: Session | None, rows: list[tuple[int, Any]], _header: list[str] | None) -> Any:
    return rows


@dataclass(frozen=True)
class Kind:
    name: str
    # Stores one prepared batch in the given transaction.
    store: Callable[[Session, Any, list[str] | None], BatchResult]
    check_header: Callable[[Sequence[str]], None]
    updates: bool = False
    # Read-only work on a batch, done one batch ahead in the reader process (read_ahead.py). The default passes the
    # rows on as read, and is given no database session.
    prepare: Callable[[Session | None, list[tuple[int, Any]], list[str] | None], Any] = _as_read
    # Rows per transaction unless --batch-size says otherwise. Responses and feedback: each transaction also upserts
    # the score rollups of the days it touches, so bigger batches write each rollup row fewer times (100k responses:
    # 10.2 s in batches of 5,000, 6.5 s in batches of 50,000, on SQLite; 1M: 33.8 s in 50,000s, 30.1 s in 100,000s).
    batch_size: int = 5_000


KINDS = (
    Kind(
        "customers",
        _customers,
        customers.check_customer_header,
        updates=True,
    ),
    Kind(
        "responses",
        _store_responses,
        collection.check_response_header,
        batch_size=100_000,
        prepare=_prepare_responses,
    ),
    Kind(
        "feedback",
        _feedback,
        collection.check_feedback_header,
        batch_size=50_000,
    ),
    Kind(
        "events",
        _events,
        customers.check_event_header,
    ),
    Kind(
        "reviews",
        _reviews,
        reviews.check_review_header,
        batch_size=50_000,
    ),
)


# ---- the command -----------------------------------------------------------------------------------------------


def _reason(error: RowError) -> str:
    return "; ".join(f"{e.field}: {e.message}" for e in error.errors)


class _ErrorFile:
    """Rejected rows as CSV: the row as read (CSV) or its JSON (JSONL), then `_line` and `_reason`.

    Columns starting with '_' are ignored on import, so a fixed error file can be imported as it is.
    """

    def __init__(self, path: Path, header: list[str] | None, stack: ExitStack, *, formula_escape: bool) -> None:
        handle = stack.enter_context(path.open("w", newline="", encoding="utf-8"))
        self.writer = CsvWriter(handle, formula_escape=formula_escape)  # read back as the import read the file
        self.header = header
        self.writer.writerow([*(header or ["_record"]), "_line", "_reason"])

    def write(self, rows: dict[int, Any], rejected: Sequence[RowError]) -> None:
        """Append the rejected rows of one batch (`rows`: line -> the row as read)."""
        for error in rejected:
            value = rows.get(error.line, [])
            if self.header is not None:
                read = value.cells if isinstance(value, _Bad) else value
                cells = [*read, *[""] * (len(self.header) - len(read))][: len(self.header)]
            else:
                cells = ["" if isinstance(value, _Bad) else orjson.dumps(value).decode()]
            self.writer.writerow([*cells, NumberCell(error.line), _reason(error)])


def _guess_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return FileFormat.jsonl
    if suffix in {".csv", ".txt", ".tsv"}:
        return FileFormat.csv
    raise Unreadable(f"cannot tell the format of '{path.name}' from its extension; pass --format csv or jsonl")


@contextmanager
def _few_collections() -> Iterator[None]:
    """Bulk loading creates millions of short-lived objects: with the default thresholds the cyclic garbage
    collector runs every 700 allocations and rescans everything alive, which measured at a third of import time."""
    thresholds = gc.get_threshold()
    gc.freeze()  # what the program built before the import is never garbage
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def run_import(
    kind: Kind,
    path: Path,
    file_format: FileFormat | None,
    batch_size: int,
    errors_path: Path | None,
    *,
    formula_escape: bool = True,
) -> Totals:
    """Import one file batch by batch, printing every rejected row. Raises Unreadable or InvalidInput (header).

    A child process reads and validates the next batches while this one stores the current (read_ahead.py)."""
    fmt = file_format or _guess_format(path)
    totals = Totals()
    db = database()
    with ExitStack() as stack:
        stack.enter_context(_few_collections())
        with ExitStack() as header_only:
            header = _open(path, fmt, batch_size, header_only, formula_escape=formula_escape).header
        if header is not None:
            kind.check_header(header)
        error_file = _ErrorFile(errors_path, header, stack, formula_escape=formula_escape) if errors_path else None

        def open_batches(
            inner: ExitStack,
        ) -> tuple[list[str] | None, Iterator[list[tuple[int, Any]]], Callable[[], int]]:
            source = _open(path, fmt, batch_size, inner, formula_escape=formula_escape)
            return source.header, source.batches, source.position

        # Started before the progress bar's thread: the child is forked from a process with one thread.
        batches = stack.enter_context(
            ReadAhead(
                open_batches,
                kind.prepare,
                database_url=None if kind.prepare is _as_read else db.url,
                keep_rows=error_file is not None,
                unreadable=Unreadable,
            )
        )
        size = max(path.stat().st_size, 1)
        progress = stack.enter_context(
            Progress(
                TextColumn("[bold]import {task.description}"),
                BarColumn(),
                DownloadColumn(),
                TextColumn("{task.fields[rows]:,} rows"),
                TimeElapsedColumn(),
                console=err_console,
            )
        )
        task = progress.add_task(kind.name, total=size, rows=0)
        try:
            for batch in batches:
                with db.unit_of_work(write=True) as session:
                    result = kind.store(session, batch.prepared, header)
                _add(totals, batch.count, result)
                for error in result.rejected:
                    progress.console.print(
                        f"line {error.line}: {_reason(error)}", markup=False, highlight=False, soft_wrap=True
                    )
                if error_file is not None and result.rejected:
                    error_file.write(dict(batch.rows or []), result.rejected)
                progress.update(task, completed=min(batch.position, size), rows=totals.rows)
        except ReadFailed as exc:
            if exc.unreadable:
                raise Unreadable(str(exc)) from None
            raise
        progress.update(task, completed=size)
    return totals


def _add(totals: Totals, rows: int, result: BatchResult) -> None:
    totals.rows += rows
    totals.created += result.created
    totals.updated += result.updated
    totals.duplicates += result.duplicates
    totals.rejected += len(result.rejected)


KIND = {kind.name: kind for kind in KINDS}
