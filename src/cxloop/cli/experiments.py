"""`cxloop experiments ...`: A/B tests of CX changes: create, list, show, results, stop, sample-size plans and
before/after comparisons (docs/experiments.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from cxloop.cli.analyze import n_words
from cxloop.cli.context import console, database, fail, refused
from cxloop.core.errors import CxloopError

if TYPE_CHECKING:
    from cxloop.experiments.schemas import ExperimentRead

app = typer.Typer(
    help="A/B tests of CX changes: variants by stable hashing, results with intervals, sample-size plans.",
    no_args_is_help=True,
)

AsJson = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
Key = Annotated[str, typer.Argument(help="The experiment's key.")]
Segment = Annotated[str | None, typer.Option(help="Segment key (left out: all customers).")]


def _variants(text: str) -> list[dict[str, object]]:
    """ "control:50,new:50" or "control,new" (equal weights)."""
    found: list[dict[str, object]] = []
    for part in text.split(","):
        key, _, weight = part.strip().partition(":")
        try:
            found.append({"key": key.strip(), "weight": float(weight) if weight.strip() else 1.0})
        except ValueError:
            raise fail(f"--variants: '{part}' is not key or key:weight (control:50)", code=2) from None
    return found


def _print(row: ExperimentRead) -> None:
    split = ", ".join(f"{v.key} {v.weight:g}" for v in row.variants)
    until = row.end_date.isoformat() if row.end_date else "open"
    console.print(
        f"[bold]{row.key}[/] {row.name}: {row.metric.value.upper()} · {row.status.value} · "
        f"{row.start_date.isoformat()} to {until} · {row.segment or 'all customers'} · variants {split}"
    )
    if row.hypothesis:
        console.print(f"  hypothesis: {row.hypothesis}")


@app.command("create")
def create(
    key: Key,
    name: Annotated[str, typer.Option(help="What the experiment is called.")],
    variants: Annotated[str, typer.Option(help="Comma-separated, control first: control:50,new:50.")],
    metric: Annotated[str, typer.Option(help="nps, csat or ces.")] = "nps",
    segment: Segment = None,
    hypothesis: Annotated[str, typer.Option(help="What you expect the change to do.")] = "",
    start: Annotated[str | None, typer.Option(help="First day (default today).")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, inclusive (default open).")] = None,
    as_json: AsJson = False,
) -> None:
    """Start an experiment: customers are split into the variants by a stable hash of their external id."""
    from pydantic import ValidationError

    from cxloop.audit import service as audit
    from cxloop.audit.enums import AuditAction
    from cxloop.audit.schemas import AuditActor
    from cxloop.cli.context import validation_message
    from cxloop.experiments import service as experiments
    from cxloop.experiments.schemas import ExperimentCreate

    fields = {"key": key, "name": name, "metric": metric, "variants": _variants(variants), "segment": segment}
    fields |= {"hypothesis": hypothesis, "start_date": start, "end_date": end}
    try:
        data = ExperimentCreate.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise fail(validation_message(exc), code=2) from exc
    try:
        with database().unit_of_work(write=True) as session:
            row = experiments.read(session, experiments.create_experiment(session, data=data))
            audit.record(
                session,
                actor=AuditActor.cli(),
                action=AuditAction.experiment_created,
                target_id=row.key,
                after=row.model_dump(mode="json", include=AUDITED),
            )
    except CxloopError as exc:
        raise refused(exc) from exc
    if as_json:
        typer.echo(row.model_dump_json(indent=2))
    else:
        _print(row)


AUDITED = {"key", "name", "metric", "variants", "segment", "start_date", "end_date"}


@app.command("list")
def list_experiments(as_json: AsJson = False) -> None:
    """Every experiment, the latest start first."""
    from cxloop.experiments import service as experiments

    with database().unit_of_work() as session:
        rows = [experiments.read(session, e) for e in experiments.list_experiments(session)]
    if as_json:
        typer.echo("[" + ",".join(row.model_dump_json() for row in rows) + "]")
        return
    if not rows:
        console.print("No experiments yet: `cxloop experiments create`.")
    for row in rows:
        _print(row)


@app.command("show")
def show(key: Key, as_json: AsJson = False) -> None:
    """One experiment: its variants, dates, segment and hypothesis."""
    from cxloop.experiments import service as experiments

    try:
        with database().unit_of_work() as session:
            row = experiments.read(session, experiments.require_experiment(session, key=key))
    except CxloopError as exc:
        raise refused(exc) from exc
    if as_json:
        typer.echo(row.model_dump_json(indent=2))
    else:
        _print(row)


@app.command("results")
def results(key: Key, as_json: AsJson = False) -> None:
    """The metric per variant with n and 95% intervals, and each treatment against the control."""
    from cxloop.experiments import results as experiment_results

    try:
        with database().unit_of_work() as session:
            report = experiment_results.results(session, key=key)
    except CxloopError as exc:
        raise refused(exc) from exc
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    _print(report.experiment)
    metric = report.experiment.metric.value.upper()
    table = Table(title=f"{metric}, {report.start.isoformat()} to {report.end.isoformat()}", box=box.SIMPLE)
    for column in ("variant", "weight", "value", "95% CI", "n"):
        table.add_column(column)
    for variant in report.variants:
        value = variant.value
        shown = "-" if value.value is None else f"{value.value:.2f}"
        interval = "-" if value.ci_low is None else f"{value.ci_low:.1f}..{value.ci_high:.1f}"
        table.add_row(variant.key, f"{variant.weight:g}", shown, interval, n_words(value))
    console.print(table)
    for compared in report.comparisons:
        console.print(compared.sentence)


@app.command("stop")
def stop(key: Key) -> None:
    """End an experiment today (results count answers up to today)."""
    from cxloop.audit import service as audit
    from cxloop.audit.enums import AuditAction
    from cxloop.audit.schemas import AuditActor
    from cxloop.experiments import service as experiments

    try:
        with database().unit_of_work(write=True) as session:
            before = experiments.read(session, experiments.require_experiment(session, key=key))
            after = experiments.read(session, experiments.stop_experiment(session, key=key))
            audit.record(
                session,
                actor=AuditActor.cli(),
                action=AuditAction.experiment_stopped,
                target_id=key,
                before=before.model_dump(mode="json", include={"status", "end_date"}),
                after=after.model_dump(mode="json", include={"status", "end_date"}),
            )
    except CxloopError as exc:
        raise refused(exc) from exc
    _print(after)


@app.command("plan")
def plan(
    mde: Annotated[float, typer.Option(help="The smallest difference worth detecting (5 = +5 NPS points).")],
    metric: Annotated[str, typer.Option(help="nps, csat or ces.")] = "nps",
    segment: Segment = None,
    weights: Annotated[str | None, typer.Option(help="Comma-separated, control first (default 50,50).")] = None,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    power: Annotated[float, typer.Option(help="The chance of finding a real effect of --mde.")] = 0.8,
    as_json: AsJson = False,
) -> None:
    """Before starting: responses per variant for the effect you care about, and how many days that takes."""
    from cxloop.experiments import planning

    try:
        with database().unit_of_work() as session:
            answer = planning.plan(
                session,
                metric=metric,
                mde=mde,
                segment=segment,
                weights=planning.parse_weights(weights),
                alpha=alpha,
                power=power,
            )
    except CxloopError as exc:
        raise refused(exc) from exc
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
    else:
        console.print(answer.explanation)


@app.command("before-after")
def before_after(
    change_date: Annotated[str, typer.Option("--date", help="The day the change shipped (2026-03-01).")],
    metric: Annotated[str, typer.Option(help="nps, csat or ces.")] = "nps",
    days: Annotated[int, typer.Option(help="Days on each side of the change.")] = 28,
    segment: Segment = None,
    tz: Annotated[str, typer.Option(help="IANA zone of the dates.")] = "UTC",
    as_json: AsJson = False,
) -> None:
    """The metric in the days from a change on against the same number of days before it."""
    from cxloop.experiments import planning

    try:
        with database().unit_of_work() as session:
            result = planning.before_after(
                session, metric=metric, change_date=change_date, days=days, segment=segment, tz=tz
            )
    except CxloopError as exc:
        raise refused(exc) from exc
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        console.print(result.explanation)
