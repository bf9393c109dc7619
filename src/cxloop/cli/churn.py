"""`cxloop analyze churn ...`: train the churn-risk model, show its holdout report, list the customers most at risk
(docs/churn.md). Mounted at the end of cli/analyze.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from cxloop.cli.context import console, database, refused
from cxloop.core.errors import CxloopError

if TYPE_CHECKING:
    from cxloop.churn.schemas import ChurnReport, Interval

app = typer.Typer(
    help="Churn risk: train the model on a time-based holdout, its report, the customers most at risk.",
    no_args_is_help=True,
)

AsJson = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]


@app.command("train")
def train(
    horizon_days: Annotated[
        int, typer.Option(help="Predict churn within this many days (14-365); also the holdout's length.")
    ] = 90,
    as_json: AsJson = False,
) -> None:
    """Train on the customers of one snapshot, evaluate on a later one, store the model and score every customer
    (as the worker does weekly and daily). Too few churned customers: the reason and the minimum, exit code 2."""
    from cxloop.churn import service as churn
    from cxloop.churn.schemas import ChurnStatus

    try:
        with database().unit_of_work() as session:  # fitting reads only: no write lock held meanwhile
            trained = churn.fit_model(session, horizon_days=horizon_days)
        with database().unit_of_work(write=True) as session:
            report = churn.store_model(session, trained=trained)
        scored = None
        if report.status == ChurnStatus.trained:
            with database().unit_of_work() as session:
                scores = churn.compute_scores(session)
            with database().unit_of_work(write=True) as session:
                scored = churn.store_scores(session, scores=scores)
    except CxloopError as exc:
        raise refused(exc) from exc
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print_report(report)
        if scored is not None:
            console.print(f"{scored.scored} customers scored")
    if report.status != ChurnStatus.trained:
        raise typer.Exit(2)


@app.command("show")
def show(as_json: AsJson = False) -> None:
    """The latest model's holdout report: AUC, Brier score, calibration table, against the baselines."""
    from cxloop.churn import service as churn

    with database().unit_of_work() as session:
        report = churn.report(session)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print_report(report)


@app.command("customers")
def customers(
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many customers.")] = 20,
    min_probability: Annotated[float, typer.Option(min=0, max=1, help="Only at or above this risk.")] = 0.0,
    as_json: AsJson = False,
) -> None:
    """The customers most at risk (latest daily scores) and the factors raising each one's risk."""
    from cxloop.churn import service as churn

    with database().unit_of_work() as session:
        page = churn.list_customers(session, min_probability=min_probability, limit=limit)
    if as_json:
        typer.echo(page.model_dump_json(indent=2))
        return
    if page.model_id is None:
        console.print("no churn model yet: cxloop analyze churn train")
        return
    table = Table(title=f"Churn risk within {page.horizon_days} days ({page.total} customers)", box=box.SIMPLE)
    for column in ("customer", "risk", "top factors"):
        table.add_column(column)
    for item in page.items:
        factors = "; ".join(f"{f.label} = {f.value:g}" if f.value is not None else f.label for f in item.top_factors)
        table.add_row(item.name or item.external_id, f"{item.probability:.0%}", factors or "-")
    console.print(table)


def _interval(value: Interval | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value.value:.{digits}f} (95% {value.low:.{digits}f}..{value.high:.{digits}f})"


def _print_report(report: ChurnReport) -> None:
    console.print(f"[bold]churn model: {report.status.value}[/] (horizon {report.horizon_days} days)")
    console.print(report.explanation)
    if report.auc is None or report.baseline is None:
        return
    console.print(f"AUC {_interval(report.auc)} · detractor rule AUC {_interval(report.baseline.rule_auc)}")
    console.print(
        f"Brier {_interval(report.brier, 3)} · base rate {report.baseline.base_rate:.1%} has Brier "
        f"{report.baseline.base_rate_brier:.3f}"
    )
    table = Table(title=f"Calibration on the holdout ({report.calibration_method})", box=box.SIMPLE)
    for column in ("predicted", "n", "mean predicted", "observed", "95% CI"):
        table.add_column(column)
    for b in report.calibration:
        observed = "-" if b.observed is None else f"{b.observed:.1%}"
        interval = "-" if b.observed_low is None else f"{b.observed_low:.1%}..{b.observed_high or 0:.1%}"
        n = f"[dim]{b.n}, too few[/]" if b.small_sample and b.n else str(b.n)
        predicted = "-" if b.predicted is None else f"{b.predicted:.1%}"
        table.add_row(f"{b.low:.0%}-{b.high:.0%}", n, predicted, observed, interval)
    console.print(table)
    weights = ", ".join(f"{w.label} (odds x{w.odds_ratio:.2f} per SD)" for w in report.weights[:5])
    console.print(f"strongest features: {weights}")
