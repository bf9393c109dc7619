"""`cxloop analyze ...`: analyses over the data as it stands, one subcommand each: compare, targets, anomalies,
drivers, outcomes, operations, agents, churn and maturity (docs/analytics.md, docs/churn.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from cxloop.cli.context import console, database, fail, read_or_refuse, refused
from cxloop.core.errors import CxloopError, InvalidInput

if TYPE_CHECKING:
    from cxloop.analytics.schemas import AnomalyScan, MetricValue, TargetRead

app = typer.Typer(
    help="Analyses: comparisons, targets, anomalies, key drivers, outcomes, operations, agents, churn risk, maturity.",
    no_args_is_help=True,
)
targets_app = typer.Typer(help="Targets per metric and segment: progress and the chance of reaching them.")
app.add_typer(targets_app, name="targets")

AsJson = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
Metric = Annotated[str, typer.Option("--metric", help="nps, csat or ces.")]
Segment = Annotated[str | None, typer.Option(help="Segment key (left out: all customers).")]


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
    result = read_or_refuse(
        lambda session: comparisons.compare(session, metric=metric, a=a, b=b, tz=tz, year_over_year=yoy)
    )
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
        raise refused(exc) from exc
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


@app.command("maturity")
def maturity(as_json: AsJson = False) -> None:
    """Listen, understand and act scored 1-5 from the last 90 days of use, with the evidence and the next step."""
    from cxloop.maturity import service as maturity_service

    with database().unit_of_work() as session:
        report = maturity_service.assess(session)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    console.print(f"[bold]{report.summary}[/]")
    for pillar in report.pillars:
        console.print(f"\n[bold]{pillar.pillar.capitalize()}: {pillar.level} of 5[/]")
        for item in pillar.evidence:
            if item.unit == "%":
                shown = f"{item.value:.0f}% of {item.n}"
                if item.ci_low is not None and item.ci_high is not None:
                    shown += f" (95% CI {item.ci_low:.0f}..{item.ci_high:.0f})"
                if item.small_sample:
                    shown = f"[dim]{shown}, too few to read[/]"
            else:
                shown = f"{item.value:g}"
            console.print(f"  {item.label}: {shown}")
        if pillar.missing:
            console.print(f"  missing for level {pillar.level + 1}: {', '.join(pillar.missing)}")
        console.print(f"  next step: {pillar.next_step}")


# ---- business outcomes, operations and agents (analytics/outcomes/) --------------------------------------------


def _interval(low: float | None, high: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if low is None or high is None else f"{fmt.format(low)}..{fmt.format(high)}"


def _rate_cell(pct: float | None) -> str:
    return "-" if pct is None else f"{pct:.1f}%"


@app.command("outcomes")
def outcomes(
    metric: Metric = "nps",
    segment: Segment = None,
    window_days: Annotated[int, typer.Option(min=7, max=3650, help="Length of the outcome window in days.")] = 180,
    end: Annotated[str | None, typer.Option(help="Last day of the outcome window (default today).")] = None,
    as_json: AsJson = False,
) -> None:
    """Churn by score band (each customer's latest answer before the window), worst band vs best as a risk ratio
    per segment, revenue at risk and lifetime value by band. Too few churned customers: what is needed instead."""
    from datetime import date

    from cxloop.analytics.outcomes import business

    try:
        last = date.fromisoformat(end) if end else None
    except ValueError:
        raise fail(f"--end: '{end}' is not a date (2026-06-30)", code=2) from None
    result = read_or_refuse(
        lambda session: business.analyse(session, metric=metric, segment=segment, window_days=window_days, end=last)
    )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    console.print(
        f"[bold]{result.metric.value.upper()} and churn[/], window {result.window_start}..{result.window_end}: "
        f"{result.churned} of {result.customers} scored customers churned"
    )
    if not result.ready:
        console.print(result.explanation)
    else:
        table = Table(box=box.SIMPLE)
        for column in ("scope", "band", "churn", "95% CI", "n", "worst vs best", "95% CI"):
            table.add_column(column)
        for row in result.churn:
            for i, band in enumerate(row.bands):
                ratio = row.ratio if i == 0 else None
                table.add_row(
                    row.scope if i == 0 else "",
                    band.band,
                    _rate_cell(band.churn.pct),
                    _interval(band.churn.ci_low, band.churn.ci_high),
                    f"[dim]{band.churn.n}[/]" if band.churn.small_sample else str(band.churn.n),
                    "" if ratio is None else f"{ratio.value:.2f}x" + (" *" if ratio.significant else ""),
                    "" if ratio is None else _interval(ratio.ci_low, ratio.ci_high, "{:.2f}"),
                )
        console.print(table)
        risk = result.revenue_at_risk
        if risk is not None and risk.at_risk is not None:
            console.print(
                f"Revenue at risk from {risk.band}s: {risk.at_risk:,.0f} of {risk.revenue:,.0f} "
                f"(95% CI {_interval(risk.at_risk_low, risk.at_risk_high, '{:,.0f}')}, {risk.customers} customers); "
                f"{(risk.excess_over_best or 0):,.0f} above the best band's churn rate"
            )
    if result.lifetime_value:
        values = Table(title="Lifetime value by band", box=box.SIMPLE)
        for column in ("scope", "band", "mean", "95% CI", "n"):
            values.add_column(column)
        for value in result.lifetime_value:
            mean = "-" if value.value.mean is None else f"{value.value.mean:,.0f}"
            n = f"[dim]{value.value.n}, too few[/]" if value.value.small_sample else str(value.value.n)
            values.add_row(
                value.scope, value.band, mean, _interval(value.value.ci_low, value.value.ci_high, "{:,.0f}"), n
            )
        console.print(values)
    for finding in result.findings:
        console.print(f"• {finding}")


@app.command("operations")
def operations(
    metric: Annotated[str, typer.Option("--metric", help="nps, csat or ces.")] = "csat",
    event: Annotated[str | None, typer.Option(help="Event name (left out: every event).")] = None,
    measure: Annotated[str | None, typer.Option(help="A numeric property of --event (left out: every one).")] = None,
    window_days: Annotated[
        int, typer.Option(min=1, max=365, help="Days after an event a response still answers it.")
    ] = 14,
    bins: Annotated[int, typer.Option(min=2, max=20, help="How many bins of the measure.")] = 5,
    touchpoint: Annotated[str | None, typer.Option(help="Only responses at this touchpoint key.")] = None,
    as_json: AsJson = False,
) -> None:
    """Operational measures (ticket wait, transfers, reopens, days late: every numeric event property found)
    against the score of the response that followed the event, per bin with intervals, and the rank correlation."""
    from cxloop.analytics.outcomes import operations as analysis

    result = read_or_refuse(
        lambda session: analysis.analyse(
            session,
            metric=metric,
            event=event,
            measure=measure,
            window_days=window_days,
            bins=bins,
            touchpoint=touchpoint,
        )
    )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    console.print(result.explanation)
    for found in result.measures:
        console.print(f"[bold]{found.event}.{found.measure}[/]: {found.explanation}")
        if not found.bins:
            continue
        table = Table(box=box.SIMPLE)
        for column in ("measure", result.metric.value.upper(), "95% CI", "n"):
            table.add_column(column)
        for part in found.bins:
            shown = "-" if part.value.value is None else f"{part.value.value:.1f}"
            span = f"{part.low:g}" if part.low == part.high else f"{part.low:g}-{part.high:g}"
            table.add_row(span, shown, _interval(part.value.ci_low, part.value.ci_high), n_words(part.value))
        console.print(table)
    for finding in result.findings:
        console.print(f"• {finding}")


@app.command("agents")
def agents(
    window_days: Annotated[
        int, typer.Option(min=1, max=365, help="Days after a ticket a response still rates it.")
    ] = 14,
    event: Annotated[str | None, typer.Option(help="Ticket event (default ticket_solved and chat_ended).")] = None,
    as_json: AsJson = False,
) -> None:
    """CSAT and NPS per support agent and team (responses after their tickets), each against the rest, and wait
    and resolution time as median and 90th percentile with intervals and n."""
    from cxloop.analytics.outcomes import agents as analysis

    result = read_or_refuse(lambda session: analysis.analyse(session, window_days=window_days, event=event))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    console.print(result.explanation)
    if result.overall is not None:
        for label, spread in (("wait", result.overall.wait), ("resolution", result.overall.resolution)):
            if spread.median is not None:
                median = _interval(spread.median_low, spread.median_high)
                p90 = _interval(spread.p90_low, spread.p90_high)
                console.print(
                    f"All tickets, {label}: median {spread.median:.1f} ({median}), p90 {spread.p90:.1f} ({p90}), "
                    f"n = {spread.n}"
                )
    for title, rows in (("Agents", result.agents), ("Teams", result.teams)):
        if not rows:
            continue
        table = Table(title=title, box=box.SIMPLE)
        for column in ("name", "tickets", "CSAT", "n", "vs rest", "NPS", "n", "wait p50 / p90", "resolution p50"):
            table.add_column(column)
        for row in rows:
            vs_rest = "-" if row.csat_vs_rest is None else f"{row.csat_vs_rest:+.0f}"
            if row.csat_vs_rest is not None:
                vs_rest += f" ({_interval(row.csat_vs_rest_low, row.csat_vs_rest_high, '{:+.0f}')})"
            table.add_row(
                row.name,
                str(row.tickets),
                "-" if row.csat.value is None else f"{row.csat.value:.0f}%",
                n_words(row.csat),
                vs_rest,
                "-" if row.nps.value is None else f"{row.nps.value:.0f}",
                n_words(row.nps),
                _quantiles(row.wait.median, row.wait.p90),
                _quantiles(row.resolution.median, None),
            )
        console.print(table)
    console.print(f"[dim]wait: {result.wait_measure or '-'}; resolution: {result.resolution_measure or '-'}[/]")
    for finding in result.findings:
        console.print(f"• {finding}")


def _quantiles(median: float | None, p90: float | None) -> str:
    if median is None:
        return "-"
    return f"{median:.0f}" if p90 is None else f"{median:.0f} / {p90:.0f}"


from cxloop.cli.churn import app as churn_app  # noqa: E402  (churn commands: cli/churn.py)

app.add_typer(churn_app, name="churn")


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

    report = read_or_refuse(
        lambda session: key_drivers.analyse(session, metric=metric, segment=segment, start=start, end=end, tz=tz)
    )
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
