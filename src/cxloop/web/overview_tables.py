"""The overview's tables (web/tables.py), also drawn by listening health and the dashboards' cards: a metric by period
(the trend's figures), a metric broken down by channel, segment or stage, and the invitations' response rates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cxloop.analytics.enums import MetricKind
from cxloop.analytics.fatigue import FatigueRow
from cxloop.analytics.schemas import MetricGroup
from cxloop.web.filters import View
from cxloop.web.overview import METRICS
from cxloop.web.tables import Cell, Column, Row, Table, count, interval, num, text

NPS_SHARES = ("Detractors %", "Passives %", "Promoters %")


def _shares(group: MetricGroup) -> tuple[float | None, ...]:
    if not group.n:
        return (None, None, None)
    parts = (group.detractors or 0, group.passives or 0, group.promoters or 0)
    return tuple(round(100 * p / group.n, 1) for p in parts)


def trend_table(trend: Mapping[str, Any], metric: MetricKind, *, key: str = "trend") -> Table:
    """The trend chart's points: one row per period with its value, interval and n."""
    spec = METRICS[metric]
    digits, signed = spec["digits"], spec["signed"]
    bucket = str(trend["bucket"])
    rows = tuple(
        Row(
            (
                text(str(p["period"])),
                num(p["value"], digits, signed=signed),
                interval(p["low"], p["high"], digits, signed=signed),
                count(p["n"]),
            ),
            small=bool(p["small"]),
            title=f"n = {p['n']}, too few to read",
        )
        for p in trend["points"]
    )
    columns = (Column(bucket.capitalize()), Column(spec["name"], numeric=True), Column.interval(), _n())
    return Table(key, f"{spec['name']} by {bucket}", columns, rows)


def _n() -> Column:
    return Column("n", numeric=True)


def breakdown_table(
    groups: Sequence[MetricGroup],
    metric: MetricKind,
    dim: str,
    *,
    key: str,
    caption: str,
    min_n: int,
    view: View | None = None,
) -> Table:
    """The metric per channel, segment or stage; each group links to the same view filtered by it (given `view`)."""
    spec = METRICS[metric]
    digits, signed = spec["digits"], spec["signed"]
    bars = metric == MetricKind.nps
    columns = [Column(dim.capitalize()), Column(spec["name"], numeric=True), Column.interval(), _n()]
    if bars:
        columns.append(Column("Detractors · passives · promoters", csv=NPS_SHARES))
    rows = []
    for g in groups:
        group_key = g.keys.get(dim)
        href = f"{view.link(**{dim: group_key})}&metric={metric.value}" if view and group_key else None
        cells = [
            text(g.labels.get(dim) or group_key or "(none)", href=href),
            num(g.value, digits, signed=signed),
            interval(g.ci_low, g.ci_high, digits, signed=signed),
            count(g.n, note="(too few)" if g.n < min_n else ""),
        ]
        if bars:
            cells.append(Cell("", _shares(g), bar=g))
        rows.append(Row(tuple(cells), small=g.n < min_n, title=f"n = {g.n}, too few to read"))
    return Table(key, caption, tuple(columns), tuple(rows))


def _rate(row: FatigueRow) -> Cell:
    low, high = row.response_rate_ci or (None, None)
    shown = num(row.response_rate, 1, unit=" %")
    ci = f"{low:,.1f} to {high:,.1f}" if low is not None and high is not None else ""
    return Cell(shown.text, (row.response_rate, low, high), ci=ci)


def rates_table(
    rows: Sequence[FatigueRow],
    by: str,
    *,
    min_n: int,
    names: Mapping[str, str] | None = None,
    compact: bool = False,
    key: str = "rates",
) -> Table:
    """The fatigue report's rows: listening health in full; `compact` (sent, answered, the rate) for the overview."""
    names = names or {}
    rate_column = Column.with_interval("Response rate %")
    if compact:
        columns: tuple[Column, ...] = (Column(by.capitalize()), Column("Sent", numeric=True), _answered(), rate_column)
    else:
        columns = (
            Column(by.capitalize()),
            Column("Invited", numeric=True),
            Column("Suppressed", numeric=True),
            Column("Suppressed by reason"),
            Column("Waiting", numeric=True),
            Column("Sent", numeric=True),
            Column("Failed", numeric=True),
            Column("Opened", numeric=True),
            _answered(),
            rate_column,
        )
    built = []
    for row in rows:
        name = text(names.get(row.group) or row.group or "(none)")
        if compact:
            cells: tuple[Cell, ...] = (name, count(row.sent), count(row.answered), _rate(row))
        else:
            reasons = ", ".join(f"{r.replace('_', ' ')} {n}" for r, n in row.suppressed_by_reason.items())
            cells = (
                name,
                count(row.invitations),
                count(row.suppressed),
                text(reasons or None),
                count(row.pending),
                count(row.sent),
                count(row.failed),
                count(row.opened),
                count(row.answered),
                _rate(row),
            )
        built.append(Row(cells, small=row.sent < min_n, title=f"n = {row.sent}, too few to read"))
    caption = f"Response rate by {by}" if compact else f"Invitations by {by}"
    return Table(key, caption, columns, tuple(built))


def _answered() -> Column:
    return Column("Answered", numeric=True)
