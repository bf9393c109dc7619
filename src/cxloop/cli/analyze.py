"""`cxloop analyze ...`: analyses over the data as it stands. One subcommand per analysis (compare, targets,
anomalies, drivers); later ones (outcomes, churn, maturity) plug in here as further subcommands. docs/analytics.md."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from cxloop.cli.context import console, database, fail
from cxloop.core.errors import CxloopError, InvalidInput

if TYPE_CHECKING:
    from cxloop.analytics.schemas import AnomalyScan, MetricValue, TargetRead

app = typer.Typer(
    help="Analyses: compare groups and periods, targets and their odds, anomalies in every series, key drivers.",
    no_args_is_help=True,
)
targets_app = typer.Typer(help="Targets per metric and segment: progress and the chance of reaching them.")
app.add_typer(targets_app, name="targets")

AsJson = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
Metric = Annotated[str, typer.Option("--metric", help="nps, csat or ces.")]
Segment = Annotated[str | None, typer.Option(help="Segment key (left out: all customers).")]


def _invalid(exc: CxloopError) -> typer.Exit:
    details = "; ".join(f"--{e.field.replace('_', '-')}: {e.message}" for e in getattr(exc, "errors", []))
    return fail(f"{exc.message} ({details})" if details else exc.message, code=2)


def n_words(value: MetricValue) -> str:
    """ "n = 120", or "n = 12, too few to read" in grey below the metric's minimum."""
    if value.small_sample:
        return f"[dim]n = {value.n}, too few to read[/]"
    return f"n = {value.n}"


@app.command("compare")
def compare(
    metric: Metric = "nps",
    segment: Segment = None,
    start: Annotated[str | None, typer.Option(help="First date of group a (2026-01-01).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date of group a, inclusive.")] = None,
    vs_segment: Annotated[str | None, typer.Option(help="Segment of group b (left out: a's).")] = None,
    vs_start: Annotated[str | None, typer.Option(help="First date of group b (left out: a's).")] = None,
    vs_end: Annotated[str | None, typer.Option(help="Last date of group b (left out: a's).")] = None,
    yoy: Annotated[bool, typer.Option("--yoy", help="Group b: a's dates one year earlier.")] = False,
    tz: Annotated[str, typer.Option(help="IANA zone of the dates.")] = "UTC",
    as_json: AsJson = False,
) -> None:
    """Segment A vs B, or period vs period (--yoy: the same dates a year earlier): the difference with its 95%
    interval, a p-value and "significant" or "within noise"; too few answers on a side say so instead."""
    from cxloop.analytics import comparisons

    a = {"segment": segment, "start": start, "end": end}
    b = {"segment": vs_segment, "start": vs_start, "end": vs_end}
    try:
        with database().unit_of_work() as session:
            result = comparisons.compare(session, metric=metric, a=a, b=b, tz=tz, year_over_year=yoy)
    except InvalidInput as exc:
        raise _invalid(exc) from exc
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    table = Table(title=f"{result.metric.value.upper()}: a vs b", box=box.SIMPLE)
    for column in ("", "group", "value", "95% CI", "n"):
        table.add_column(column)
    for name, side in (("a", result.a), ("b", result.b)):
        value = side.value
        interval = "-" if value.ci_low is None else f"{value.ci_low:.1f}..{value.ci_high:.1f}"
        shown = "-" if value.value is None else f"{value.value:.2f}"
        table.add_row(name, side.label, shown, interval, n_words(value))
    console.print(table)
    console.print(result.explanation)


@targets_app.command("list")
def list_targets(as_json: AsJson = False) -> None:
    """Every target: baseline, current value, progress, trend and the chance of reaching it by the due date."""
    from cxloop.analytics import targets

    with database().unit_of_work() as session:
        rows = [targets.read(session, target) for target in targets.list_targets(session)]
    if as_json:
        typer.echo("[" + ",".join(row.model_dump_json() for row in rows) + "]")
        return
    if not rows:
        console.print("no targets yet: cxloop analyze targets add --help")
        return
    for row in rows:
        _print_target(row)


def _print_target(row: TargetRead) -> None:
    scope = row.segment or "all customers"
    progress = "-" if row.progress_pct is None else f"{row.progress_pct:.0f}%"
    chance = "-" if row.probability is None else f"{row.probability:.0%}"
    now = "-" if row.current.value is None else f"{row.current.value:.1f}"
    console.print(
        f"[bold]#{row.id} {row.name}[/]: {row.metric.value.upper()} {row.target_value:g} for {scope} by "
        f"{row.due_date.isoformat()} · now {now} ({n_words(row.current)}) · progress {progress} · chance {chance}"
    )
    console.print(f"  {row.explanation}")


@targets_app.command("add")
def add_target(
    name: Annotated[str, typer.Option(help="What the target is called.")],
    value: Annotated[float, typer.Option("--value", help="The value to reach (NPS -100..100, CSAT %, CES 1-7).")],
    due: Annotated[str, typer.Option(help="Due date (2027-06-30).")],
    metric: Metric = "nps",
    segment: Segment = None,
    start: Annotated[str | None, typer.Option(help="Count progress from this date (default today).")] = None,
    as_json: AsJson = False,
) -> None:
    """Set a target for a metric, overall or in one segment, and show where it stands."""
    from pydantic import ValidationError

    from cxloop.analytics import targets
    from cxloop.analytics.schemas import TargetCreate
    from cxloop.audit import service as audit
    from cxloop.audit.enums import AuditAction
    from cxloop.audit.schemas import AuditActor
    from cxloop.cli.context import validation_message

    try:
        data = TargetCreate.model_validate(
            {"name": name, "metric": metric, "segment": segment, "target_value": value, "due_date": due}
            | ({"start_date": start} if start else {})
        )
    except ValidationError as exc:
        raise fail(validation_message(exc), code=2) from exc
    try:
        with database().unit_of_work(write=True) as session:
            made = targets.create_target(session, data=data)
            after = data.model_dump(mode="json") | {"start_date": made.start_date.isoformat()}
            audit.record(
                session,
                actor=AuditActor.cli(),
                action=AuditAction.metric_target_created,
                target_id=made.id,
                after=after,
            )
            row = targets.read(session, made)
    except InvalidInput as exc:
        raise _invalid(exc) from exc
    if as_json:
        typer.echo(row.model_dump_json(indent=2))
    else:
        _print_target(row)


@targets_app.command("remove")
def remove_target(target_id: Annotated[int, typer.Argument(min=1, help="The target's id.")]) -> None:
    """Delete a target."""
    from cxloop.analytics import targets
    from cxloop.audit import service as audit
    from cxloop.audit.enums import AuditAction
    from cxloop.audit.schemas import AuditActor

    try:
        with database().unit_of_work(write=True) as session:
            before = {"name": targets.require_target(session, target_id=target_id).name}
            targets.delete_target(session, target_id=target_id)
            audit.record(
                session,
                actor=AuditActor.cli(),
                action=AuditAction.metric_target_deleted,
                target_id=target_id,
                before=before,
            )
    except CxloopError as exc:
        raise fail(exc.message, code=2) from exc
    console.print(f"target {target_id} removed")


@app.command("anomalies")
def anomalies(
    weeks: Annotated[int, typer.Option(min=0, max=104, help="Test the last N complete weeks.")] = 1,
    days: Annotated[int, typer.Option(min=0, max=90, help="Test the last N complete days (series with enough n).")] = 1,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Find and print, store nothing, announce nothing.")
    ] = False,
    show_skipped: Annotated[
        bool, typer.Option("--skipped", help="List the series periods not tested, and why.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Scan every segment x metric series (and response rates, and registered theme series) now: significant
    drops and rises against each series' own recent weeks, false-discovery rate 5% over all of them. New findings
    are stored once and announced (anomaly.detected), as the worker's daily scan does."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from cxloop.analytics import anomalies as scanning

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True) as progress:
        progress.add_task("scanning every series", total=None)
        with database().unit_of_work(write=not dry_run) as session:
            report = scanning.scan(session, weeks=weeks, days=days, store=not dry_run)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    _print_scan(report, show_skipped=show_skipped)


def _print_scan(report: AnomalyScan, *, show_skipped: bool) -> None:
    console.print(
        f"{report.series} series, {report.tested} tests ({len(report.skipped)} skipped for too few answers or too "
        f"little history); false-discovery rate {report.q:.0%}: {len(report.discoveries)} found, {report.new} new"
    )
    for found in report.discoveries:
        mark = "[red]▼[/]" if found.direction == "drop" else "[green]▲[/]"
        console.print(f"{mark} {found.explanation} [dim](q = {found.q_value:.2g})[/]")
    if show_skipped:
        for skip in report.skipped:
            console.print(f"[dim]skipped {skip.series} {skip.period_start.isoformat()}: {skip.reason}[/]")


@app.command("drivers")
def drivers(
    metric: Metric = "nps",
    segment: Segment = None,
    start: Annotated[str | None, typer.Option(help="First date of the answers read (2026-01-01).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date of the answers read, inclusive.")] = None,
    tz: Annotated[str, typer.Option(help="IANA zone of the dates.")] = "UTC",
    as_json: AsJson = False,
) -> None:
    """Key drivers: which themes, touchpoints, stages, channels, plans, segments and helpdesk measures move the
    metric most, each as "fixing X is worth about +N points (95% interval a..b)", with the model's accuracy on
    answers it was not fitted on; too few answers say so and name the minimum."""
    from cxloop.analytics.drivers import service as key_drivers

    try:
        with database().unit_of_work() as session:
            report = key_drivers.analyse(session, metric=metric, segment=segment, start=start, end=end, tz=tz)
    except InvalidInput as exc:
        raise _invalid(exc) from exc
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    console.print(report.explanation)
    if not report.enough:
        return
    table = Table(title=f"{report.metric.value.upper()} drivers for {report.scope}", box=box.SIMPLE)
    for column in ("driver", "n", "impact", "95% CI", "effect", ""):
        table.add_column(column)
    digits = 2 if report.metric.value == "ces" else 1
    for driver in report.drivers:
        n = f"[dim]{driver.n}[/]" if driver.small_sample else str(driver.n)
        interval = f"{driver.impact_ci_low:+.{digits}f}..{driver.impact_ci_high:+.{digits}f}"
        flags = ("" if driver.significant else "within noise") + (", too few" if driver.small_sample else "")
        table.add_row(driver.label, n, f"{driver.impact:+.{digits}f}", interval, f"{driver.effect:+.{digits}f}", flags)
    console.print(table)
    for driver in report.drivers[:5]:
        console.print(f"• {driver.sentence}")
    shares = ", ".join(f"{f.family} {f.r2_share:.3f}" for f in report.families)
    console.print(f"[dim]share of R² by family: {shares}[/]")
    for skip in report.skipped:
        console.print(f"[dim]left out {skip.label} (n = {skip.n}): {skip.reason}[/]")
