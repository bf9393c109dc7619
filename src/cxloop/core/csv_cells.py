"""Values as CSV cells, in the form the importers read back: exports write files that import again.

Every CSV cxloop writes goes through `CsvWriter`, which neutralises spreadsheet formulas (OWASP "CSV Injection"): a
text cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets
a `'` in front, and every text cell is quoted, so a separator or quote inside it cannot start a new cell. Number
cells (`NumberCell`: scores, ratings, numeric answers and properties, metric values) are written as they are, so -1
stays a number. The importers undo the escape (`unescape_formula`), so an export imports to the same values.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import orjson

LIST_SEPARATOR = "|"  # multiple-choice answers in one CSV cell, as the importer reads them

# A cell a spreadsheet reads as a formula, also after quotes an earlier escape added: escaping `'=x` too (to `''=x`)
# makes `unescape_formula` the exact inverse, so a cell that really starts with a quote survives the round trip.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_FIRST = frozenset("'=+-@\t\r")  # a quick test before the pattern, for the cells that start with none of these


class NumberCell(str):
    """A cell holding a number, written as it is: never prefixed, never quoted."""

    __slots__ = ()


def iso_instant(value: datetime | None) -> str:
    """An instant as ISO-8601 with `Z` for UTC; empty for None."""
    return value.isoformat().replace("+00:00", "Z") if value else ""


def csv_cell(value: Any) -> str:
    """One value as a cell: empty for None, true/false, numbers as NumberCell, lists joined by `|`, maps as JSON,
    instants in ISO-8601, anything else as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return NumberCell(value)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode() if value else ""
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def escape_formula(text: str) -> str:
    """`text` with a `'` in front when a spreadsheet would read it as a formula."""
    return "'" + text if text[:1] in _FIRST and _FORMULA.match(text) else text


def unescape_formula(text: str) -> str:
    """The inverse of `escape_formula`: one leading `'` removed where escape_formula added it."""
    return text[1:] if text[:1] == "'" and _ESCAPED.match(text) else text


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class CsvWriter:
    """Rows of cells (from `csv_cell`, or NumberCell for numbers) to a CSV file with `\\n` line ends.

    With `formula_escape` (the default) text cells are escaped and quoted as the module says; without it (for
    programs that read the file) every cell is written verbatim with the csv module's minimal quoting."""

    def __init__(self, out: IO[str], *, formula_escape: bool = True) -> None:
        self._out = out
        self._escape = formula_escape
        self._plain = csv.writer(out, lineterminator="\n")

    def writerow(self, cells: Iterable[str]) -> None:
        if not self._escape:
            self._plain.writerow(cells)
            return
        self._out.write(",".join(c if isinstance(c, NumberCell) else _quoted(escape_formula(c)) for c in cells) + "\n")

    def writerows(self, rows: Iterable[Iterable[str]]) -> None:
        for row in rows:
            self.writerow(row)
