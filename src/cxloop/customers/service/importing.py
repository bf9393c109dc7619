"""Customers and events from files (CSV or JSON Lines), one batch at a time: the good rows are stored, each bad row
is reported with its line and the problem named like the file's column (attr.plan, prop.sku, event_id).

Used by `cxloop import customers|events`; the same functions serve any other way a file arrives (docs/importing.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from cxloop.core.errors import FieldError, InvalidInput, RowError
from cxloop.customers.schemas import CustomerUpsert, EventCreate
from cxloop.customers.service.customers import bulk_upsert_customers
from cxloop.customers.service.events import record_events

# File column -> model field. CSV columns `attr.<name>` (customers) and `prop.<name>` (events) fill the open maps.
CUSTOMER_COLUMNS = {name: name for name in CustomerUpsert.model_fields if name != "attributes"} | {
    "customer_id": "external_id"
}
EVENT_COLUMNS = {
    "customer_id": "customer_external_id",
    "anonymous_id": "anonymous_id",
    "name": "name",
    "occurred_at": "occurred_at",
    "event_id": "external_id",
    "source": "source",
}
_EVENT_SOURCE = "import"  # events without a `source` column: the (source, event_id) dedupe key stays stable
_LOC = re.compile(r"^(\w+)\.(.+)$")


@dataclass
class FileImportResult:
    """What one file batch did: rows created, updated, already stored (same key), and each rejected row, by line."""

    created: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: list[RowError] = field(default_factory=list)


def check_customer_header(header: Sequence[str]) -> None:
    """InvalidInput naming the problem when a CSV header does not fit the customers format."""
    _check_columns(header, CUSTOMER_COLUMNS, "attr.", "external_id")


def check_event_header(header: Sequence[str]) -> None:
    """InvalidInput naming the problem when a CSV header does not fit the events format."""
    _check_columns(header, EVENT_COLUMNS, "prop.", "name")


def import_customers(
    session: Session, *, rows: Sequence[tuple[int, Any]], header: Sequence[str] | None
) -> FileImportResult:
    """Create or update the good rows of one batch by external id. `rows` are (line, CSV cells) with the `header`,
    or (line, JSON object) without. A row naming an unknown account or stage is rejected; the rest are stored."""
    records = _records(rows, header, CUSTOMER_COLUMNS, "attr.", "attributes")
    good, rejected = _validate(CustomerUpsert, records, CUSTOMER_COLUMNS, ("attributes", "attr."))
    while good:
        try:
            with session.begin_nested():
                result = bulk_upsert_customers(session, items=[item for _, item in good])
        except InvalidInput as exc:
            # Unknown accounts or stages: drop the rows named and store the rest.
            named: dict[int, list[FieldError]] = {}
            for e in exc.errors:
                index, _, name = e.field.removeprefix("items.").partition(".")
                named.setdefault(int(index), []).append(FieldError(name, e.message))
            if not named:
                raise
            rejected += [RowError(good[i][0], errs) for i, errs in named.items()]
            good = [row for i, row in enumerate(good) if i not in named]
            continue
        return FileImportResult(created=result.created, updated=result.updated, rejected=_by_line(rejected))
    return FileImportResult(rejected=_by_line(rejected))


def import_events(
    session: Session, *, rows: Sequence[tuple[int, Any]], header: Sequence[str] | None
) -> FileImportResult:
    """Store the good events of one batch (deduplicated on source + event id); rows as for `import_customers`."""
    records = _records(rows, header, EVENT_COLUMNS, "prop.", "properties")
    if header is not None:
        for _, record in records:
            record.setdefault("source", _EVENT_SOURCE)
    good, rejected = _validate(EventCreate, records, EVENT_COLUMNS, ("properties", "prop."))
    result = record_events(session, items=[item for _, item in good]) if good else None
    return FileImportResult(
        created=result.created if result else 0,
        duplicates=result.duplicates if result else 0,
        rejected=_by_line(rejected),
    )


def _check_columns(header: Sequence[str], known: dict[str, str], prefix: str, required: str) -> None:
    names = [h for h in header if not h.startswith("_")]
    unknown = [h for h in names if h not in known and not h.startswith(prefix)]
    if unknown:
        raise InvalidInput(f"unknown column(s): {', '.join(unknown)}; expected {', '.join(known)} or {prefix}<name>")
    if not any(known.get(h) == required for h in names):
        raise InvalidInput(f"missing column: {required}")


def _records(
    rows: Sequence[tuple[int, Any]], header: Sequence[str] | None, known: dict[str, str], prefix: str, nested: str
) -> list[tuple[int, Any]]:
    """CSV cells as dicts of model fields (`<prefix>x` cells under `nested`); empty cells are not sent."""
    if header is None:
        return list(rows)
    records = []
    for line, cells in rows:
        record: dict[str, Any] = {}
        for name, cell in zip(header, cells, strict=False):
            if cell == "" or name.startswith("_"):
                continue
            if name.startswith(prefix):
                record.setdefault(nested, {})[name[len(prefix) :]] = cell
            else:
                record[known[name]] = cell
        records.append((line, record))
    return records


def _validate(
    model: type[BaseModel], rows: Sequence[tuple[int, Any]], columns: dict[str, str], nested: tuple[str, str]
) -> tuple[list[tuple[int, Any]], list[RowError]]:
    """Each record as a model, or its problems named like the file's columns (attr.plan, prop.sku, event_id)."""
    back: dict[str, str] = {}
    for column, field_name in columns.items():
        back.setdefault(field_name, column)
    good: list[tuple[int, Any]] = []
    bad: list[RowError] = []
    for line, record in rows:
        try:
            good.append((line, model.model_validate(record)))
        except ValidationError as exc:
            errors = []
            for e in exc.errors():
                loc = ".".join(str(p) for p in e["loc"]) or "row"
                match = _LOC.match(loc)
                loc = nested[1] + match.group(2) if match and match.group(1) == nested[0] else back.get(loc, loc)
                errors.append(FieldError(loc, e["msg"]))
            bad.append(RowError(line, errors))
    return good, bad


def _by_line(rejected: list[RowError]) -> list[RowError]:
    return sorted(rejected, key=lambda error: error.line)
