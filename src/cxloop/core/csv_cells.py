"""Values as CSV cells, in the form the importers read back: exports write files that import again."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson

LIST_SEPARATOR = "|"  # multiple-choice answers in one CSV cell, as the importer reads them


def iso_instant(value: datetime | None) -> str:
    """An instant as ISO-8601 with `Z` for UTC; empty for None."""
    return value.isoformat().replace("+00:00", "Z") if value else ""


def csv_cell(value: Any) -> str:
    """One value as a cell: empty for None, true/false, lists joined by `|`, maps as JSON, instants in ISO-8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode() if value else ""
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
