"""The tables of the web app as data: a page builds a `Table` (columns, rows of cells), the `data_table` macro of
`_table.html` draws it (numbers right-aligned, sortable headers, sticky header, an export link), and the same Table
is written as CSV when the page's address carries `?export=<key>` (`rendering.render` answers the CSV instead of the
page). The CSV therefore holds exactly the rows the page shows, with the formula escape of `core/csv_cells.py`.

    Table("by-segment", "NPS by segment",
          (Column("Segment"), Column.with_interval("NPS"), Column("n", numeric=True)),
          [Row((text(name, href=link), with_interval(g.value, g.ci_low, g.ci_high), count(g.n)), small=g.n < 30)])

A cell holds what is shown (`text`, and in small type its interval `ci` and a `note`) and its values for the CSV and
for sorting (`values`, one per CSV header of its column: a value with its interval is three numbers).

A table of things people act on (the case inbox, the users) may put a checkbox before each row (`select`, named by
the row's `key`) and columns of controls after the data (`controls`: their headers; the page draws their cells with
`{% call(row) data_table(t) %}`): neither is sorted nor exported.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cxloop.core.csv_cells import CsvWriter, csv_cell

Scalar = str | int | float | date | datetime | None
INTERVAL = "95 % interval"


def figure(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """A figure with a fixed number of decimals (and its sign when `signed`, as NPS is written); an en dash for none."""
    if value is None:
        return "–"
    return f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"


@dataclass(frozen=True)
class Column:
    """A column: its header, whether it holds numbers (right-aligned, sorted as numbers), its CSV headers (one per
    value of its cells; the label by default) and whether the page shows it (False: in the CSV only)."""

    label: str
    numeric: bool = False
    csv: tuple[str, ...] = ()
    shown: bool = True

    @property
    def headers(self) -> tuple[str, ...]:
        return self.csv or (self.label,)

    @classmethod
    def with_interval(cls, label: str) -> Column:
        """A figure with its 95 % interval beside it: three CSV columns (the value, the low and the high bound)."""
        return cls(label, numeric=True, csv=(label, f"{label} 95 % low", f"{label} 95 % high"))

    @classmethod
    def interval(cls, label: str = INTERVAL) -> Column:
        """An interval on its own: two CSV columns."""
        return cls(label, numeric=True, csv=(f"{label} low", f"{label} high"))


@dataclass(frozen=True)
class Cell:
    """What one cell shows and the values it stands for (the CSV's, and the first sorts a numeric column)."""

    text: str
    values: tuple[Scalar, ...]
    href: str | None = None
    ci: str = ""  # the interval, in small type after the value
    note: str = ""  # a remark in small type ("too few to read")
    bar: Any = None  # a metric value with detractors, passives and promoters: drawn as the NPS bar
    spark: tuple[int, ...] = ()  # counts drawn as a sparkline
    lines: tuple[str, ...] = ()  # quotes shown under the text (a theme's typical comments)
    chip: str = ""  # drawn as a chip with these CSS classes (a priority, an SLA clock)
    title: str = ""  # said on hover (an exact time, what a chip means)
    time: datetime | None = None  # drawn as <time>: `text` says how long ago, `title` the exact time
    sub: str = ""  # a second line in small type (a case's owner)

    @property
    def sort_key(self) -> str:
        first = self.values[0] if self.values else None
        if isinstance(first, datetime):
            return str(first.timestamp())
        if isinstance(first, date):
            return str(first.toordinal())
        return "" if first is None or isinstance(first, str) else str(first)


@dataclass(frozen=True)
class Row:
    """One row; `small`: its n is below the readable minimum (greyed, and `title` says why)."""

    cells: tuple[Cell, ...]
    small: bool = False
    title: str = ""
    key: str = ""  # what the row's checkbox sends (a case id), when its table has `select`
    muted: bool = False  # greyed without a reason to say (a deactivated user)


@dataclass(frozen=True)
class RowSelect:
    """A checkbox before each row (`name` = the row's key, submitted with the form `form`) and one for all rows."""

    name: str
    form: str
    noun: str  # "case": "Select case 12", "Select every case on this page"


@dataclass(frozen=True)
class Table:
    """A table of a page. `key` names it in `?export=<key>` (unique on its page); the first cell of a row names the
    row (`<th scope="row">`)."""

    key: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...] = field(default_factory=tuple)
    select: RowSelect | None = None
    controls: tuple[str, ...] = ()  # headers of the columns the page draws after the data

    def __post_init__(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            if len(row.cells) != len(self.columns):
                raise ValueError(f"table {self.key}, row {number}: {len(row.cells)} cells for {len(self.columns)}")
            for column, cell in zip(self.columns, row.cells, strict=True):
                if len(cell.values) != len(column.headers):
                    raise ValueError(f"table {self.key}, row {number}, column {column.label}: values do not fit")

    @property
    def shown(self) -> list[int]:
        """The indexes of the columns the page shows."""
        return [i for i, column in enumerate(self.columns) if column.shown]


def text(value: str | None, *, href: str | None = None, note: str = "") -> Cell:
    """A text cell (an en dash for none)."""
    return Cell(value or "–", (value,), href=href, note=note)


def count(value: int | None, *, note: str = "") -> Cell:
    """A whole number (a count, an n)."""
    return Cell("–" if value is None else f"{value:,}", (value,), note=note)


def num(value: float | None, digits: int = 1, *, signed: bool = False, unit: str = "", note: str = "") -> Cell:
    """A figure with a fixed number of decimals (and its unit)."""
    shown = figure(value, digits, signed)
    return Cell(shown + (unit if value is not None else ""), (value,), note=note)


def with_interval(
    value: float | None,
    low: float | None,
    high: float | None,
    digits: int = 1,
    *,
    signed: bool = False,
    unit: str = "",
    note: str = "",
) -> Cell:
    """A figure with its 95 % interval in small type (for `Column.with_interval`)."""
    shown = figure(value, digits, signed) + (unit if value is not None else "")
    ci = f"{figure(low, digits, signed)} to {figure(high, digits, signed)}" if low is not None else ""
    return Cell(shown, (value, low, high), ci=ci, note=note)


def interval(low: float | None, high: float | None, digits: int = 1, *, signed: bool = False) -> Cell:
    """An interval on its own (for `Column.interval`)."""
    shown = f"{figure(low, digits, signed)} to {figure(high, digits, signed)}" if low is not None else "–"
    return Cell(shown, (low, high))


def tables_in(context: Mapping[str, Any]) -> dict[str, Table]:
    """The tables of a page's context by key: values that are a Table, or a list or mapping of them."""
    found: dict[str, Table] = {}
    for value in context.values():
        candidates: Iterable[Any] = (
            value.values() if isinstance(value, Mapping) else value if isinstance(value, list | tuple) else (value,)
        )
        for candidate in candidates:
            if isinstance(candidate, Table):
                found[candidate.key] = candidate
    return found


def csv_text(table: Table) -> str:
    """The table as CSV: every column's headers, then each row's values, text escaped against formulas."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow([csv_cell(h) for column in table.columns for h in column.headers])
    for row in table.rows:
        writer.writerow([csv_cell(v) for cell in row.cells for v in cell.values])
    return buffer.getvalue()


def rows_of(cells: Sequence[Sequence[Cell]]) -> tuple[Row, ...]:
    """Rows from lists of cells (none small)."""
    return tuple(Row(tuple(c)) for c in cells)
