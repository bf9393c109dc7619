"""`cxloop metrics {nps|csat|ces}`: a metric with n, 95% interval and change, as a table, CSV or JSON; and `rebuild`."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from cxloop.analytics.enums import MetricKind
from cxloop.cli.context import FormulaEscapeOption, console, database, fail, settings
from cxloop.core.csv_cells import CsvWriter, NumberCell
from cxloop.core.errors import InvalidInput

if TYPE_CHECKING:
    from cxloop.analytics.schemas import MetricGroup, MetricResult, MetricValue

app = typer.Typer(help="Print NPS, CSAT or CES with n and 95% intervals, grouped and filtered.", no_args_is_help=True)

By = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="Group by, comma-separated: month,segment (day/week/month/quarter, "
        "segment, stage, touchpoint, channel, survey, account).",
    ),
]
Tz = Annotated[str, typer.Option(help="IANA zone for local days and the date range.")]
Start = Annotated[str | None, typer.Option(help="First date in --tz (2026-01-01) or an ISO-8601 instant.")]
End = Annotated[str | None, typer.Option(help="Last date in --tz, inclusive (or an instant).")]
Key = Annotated[str | None, typer.Option()]
Source = Annotated[str, typer.Option(help="responses, feedback (rated items; CSAT only) or all.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the full answer as JSON (the same as --format json).")]


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[
    Format, typer.Option("--format", help="table (fits an 80-column terminal), csv (one row per group) or json.")
]


def _run(
    metric: MetricKind,
    *,
    by: str | None,
    tz: str,
    start: str | None,
    end: str | None,
    source: str,
    output: Format,
    filters: dict[str, str | None],
    formula_escape: bool = True,
) -> None:
    from cxloop.analytics import service as analytics

    _configure_zones()
    try:
        query = analytics.parse_query(
            metric=metric.value, group_by=by, tz=tz, start=start, end=end, source=source, filters=filters
        )
        with database().unit_of_work() as session:
            result = analytics.compute_metric(session, query=query)
    except InvalidInput as exc:
        details = "; ".join(f"{_option(e.field)}: {e.message}" for e in exc.errors)
        raise fail(f"{exc.message} ({details})" if details else exc.message, code=2) from exc
    if output is Format.json:
        typer.echo(result.model_dump_json(indent=2))
    elif output is Format.csv:
        _write_csv(result, formula_escape=formula_escape)
    else:
        console.print(_table(result))


def _write_csv(result: MetricResult, *, formula_escape: bool) -> None:
    """One row per group and a last `total` row; plain numbers (no signs or %), empty where there is none. Group
    labels are text (escaped: segment and account names are anyone's words); values stay numbers (NPS -30)."""
    keys = [key.value for key in result.group_by]
    has_time = any(key.is_time for key in result.group_by)
    writer = CsvWriter(sys.stdout, formula_escape=formula_escape)
    change = ["change", "change_significant"] if has_time else []
    writer.writerow([*keys, result.metric.value, "n", "ci_low", "ci_high", *change])

    def number(value: float | None) -> str:
        return "" if value is None else NumberCell(f"{value:.4f}".rstrip("0").rstrip("."))

    for group in result.groups:
        cells = [group.keys.get(key) or "" for key in keys]
        cells += [number(group.value), NumberCell(group.n), number(group.ci_low), number(group.ci_high)]
        if has_time:
            significant = "" if group.change_significant is None else str(group.change_significant).lower()
            cells += [number(group.change), significant]
        writer.writerow(cells)
    total = result.total
    label = ["total"] + [""] * (len(keys) - 1) if keys else []
    writer.writerow([*label, number(total.value), NumberCell(total.n), number(total.ci_low), number(total.ci_high)])


def _configure_zones() -> list[str]:
    from cxloop.analytics import rollups

    zones = settings().rollup_timezones
    try:
        rollups.configure(zones)
    except ValueError as exc:
        raise fail(f"CXLOOP_ROLLUP_TIMEZONES: {exc}") from exc
    return zones


def _option(field: str) -> str:
    return {"group_by": "--by"}.get(field, f"--{field}")


def _value(metric: MetricKind, value: float | None) -> str:
    if value is None:
        return "-"
    if metric is MetricKind.nps:
        return f"{value:+.1f}"
    if metric is MetricKind.csat:
        return f"{value:.1f}%"
    return f"{value:.2f}"


def _interval(metric: MetricKind, row: MetricValue) -> str:
    if row.ci_low is None or row.ci_high is None:
        return "-"
    return f"{_value(metric, row.ci_low)}..{_value(metric, row.ci_high)}"


def _change(metric: MetricKind, group: MetricGroup) -> str:
    if group.change is None:
        return "-"
    text = f"{group.change:+.1f}" if metric is not MetricKind.ces else f"{group.change:+.2f}"
    if group.change_significant:
        return f"[bold]{text} *[/]"
    return text


def _table(result: MetricResult) -> Table:
    metric = result.metric
    scope = ", ".join(f"{k}={v}" for k, v in result.filters.items()) or "all feedback"
    table = Table(title=f"{metric.value.upper()} ({scope}; tz {result.tz}; from {result.path.value})", box=box.SIMPLE)
    keys = [key.value for key in result.group_by]
    has_time = any(key.is_time for key in result.group_by)
    for key in keys:
        table.add_column(key)
    table.add_column(metric.value.upper(), justify="right")
    table.add_column("n", justify="right")
    table.add_column("95% CI", justify="right")
    if has_time:
        table.add_column("change", justify="right")
    for group in result.groups:
        cells = [group.keys.get(key) or "(none)" for key in keys]
        cells += [_value(metric, group.value), _n(group), _interval(metric, group)]
        if has_time:
            cells.append(_change(metric, group))
        table.add_row(*cells, style="dim" if group.small_sample else None)
    table.add_section()
    total = result.total
    cells = ["[bold]total[/]"] + [""] * (len(keys) - 1) if keys else []
    cells += [f"[bold]{_value(metric, total.value)}[/]", _n(total), _interval(metric, total)]
    if has_time:
        cells.append("")
    table.add_row(*cells, style="dim" if total.small_sample else None)
    notes = []
    if has_time:
        notes.append("change: against the previous period of the same group; * significant at 5%")
    if total.small_sample or any(group.small_sample for group in result.groups):
        notes.append(f"grey, n!: n below {_min_n(metric)}, too few to read")
    table.caption = "\n".join(notes) or None
    return table


def _n(row: MetricValue) -> str:
    return f"{row.n}!" if row.small_sample else str(row.n)


def _min_n(metric: MetricKind) -> int:
    from cxloop.analytics.metrics import min_n

    return min_n(metric)


def _command(metric: MetricKind) -> None:
    def command(
        by: By = None,
        tz: Tz = "UTC",
        start: Start = None,
        end: End = None,
        segment: Annotated[str | None, typer.Option(help="Segment key.")] = None,
        stage: Annotated[str | None, typer.Option(help="Journey stage key.")] = None,
        touchpoint: Annotated[str | None, typer.Option(help="Touchpoint key.")] = None,
        channel: Annotated[str | None, typer.Option(help="Channel name.")] = None,
        survey: Annotated[str | None, typer.Option(help="Survey key.")] = None,
        account: Annotated[str | None, typer.Option(help="Account external id.")] = None,
        source: Source = "all",
        output: FormatOption = Format.table,
        as_json: AsJson = False,
        formula_escape: FormulaEscapeOption = True,
    ) -> None:
        filters = {
            "segment": segment,
            "stage": stage,
            "touchpoint": touchpoint,
            "channel": channel,
            "survey": survey,
            "account": account,
        }
        output = Format.json if as_json else output
        _run(
            metric,
            by=by,
            tz=tz,
            start=start,
            end=end,
            source=source,
            output=output,
            filters=filters,
            formula_escape=formula_escape,
        )

    descriptions = {
        MetricKind.nps: "Net Promoter Score: % promoters (9-10) minus % detractors (0-6), -100..100.",
        MetricKind.csat: "Customer satisfaction: % of 4-5 answers on 1-5 (survey CSAT and rated feedback).",
        MetricKind.ces: "Customer effort: mean of 1-7 answers (higher is easier), with % of 5-7.",
    }
    command.__doc__ = descriptions[metric]
    app.command(metric.value)(command)


for _metric in MetricKind:
    _command(_metric)


@app.command("rebuild")
def rebuild() -> None:
    """Recount the score and invitation rollups and the responses per survey from raw rows (after changing
    CXLOOP_ROLLUP_TIMEZONES, or to repair them)."""
    from cxloop.analytics import invitation_rollups, rollups, survey_responses

    zones = _configure_zones()
    with database().unit_of_work() as session:
        rollups.rebuild_rollups(session)
        invitation_rollups.rebuild_invitation_rollups(session)
        survey_responses.rebuild_survey_responses(session)
    console.print(f"[green]rollups rebuilt[/] for {', '.join(zones) or 'no zone'}")
