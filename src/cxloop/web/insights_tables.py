"""The tables of the analysis pages under /insights (web/tables.py): each analysis' rows with their n, intervals and
small-sample flags, as the page shows them and as `?export=<key>` writes them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cxloop.analytics.drivers.schemas import DriverReport
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.outcomes.schemas import AgentAnalysis, Distribution, OperationsAnalysis, OutcomeAnalysis
from cxloop.churn.schemas import ChurnCustomerPage, ChurnReport, Interval
from cxloop.experiments.schemas import ExperimentRead, ExperimentResults
from cxloop.maturity.schemas import MaturityRead
from cxloop.web.tables import Cell, Column, Row, Table, count, num, text, with_interval

TOO_FEW = "too few to read"


def _n(value: int | None, small: bool) -> Cell:
    return count(value, note=TOO_FEW if small else "")


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


def drivers_table(report: DriverReport, metric_name: str) -> Table:
    """Each driver's impact with its interval, n and the sentence that reads it."""
    rows = tuple(
        Row(
            (
                text(d.label, note=f"vs {d.reference}" if d.reference else ""),
                _n(d.n, d.small_sample),
                with_interval(d.impact, d.impact_ci_low, d.impact_ci_high, signed=True),
                text(d.sentence + ("" if d.significant else " (within noise)")),
            ),
            small=d.small_sample,
        )
        for d in report.drivers
    )
    columns = (Column("Driver"), Column("n", numeric=True), Column.with_interval("Impact"), Column("Reading"))
    return Table("drivers", f"Drivers of {metric_name}, the largest impact first", columns, rows)


def outcome_tables(outcome: OutcomeAnalysis) -> list[Table]:
    """Churn by score band, one table per scope (overall, then each segment asked for)."""
    tables = []
    for number, scope in enumerate(outcome.churn, start=1):
        rows = tuple(
            Row(
                (
                    text(b.band),
                    _n(b.churn.n, b.churn.small_sample),
                    count(b.churn.events),
                    with_interval(b.churn.pct, b.churn.ci_low, b.churn.ci_high, unit=" %"),
                    num(b.revenue, 0),
                ),
                small=b.churn.small_sample,
            )
            for b in scope.bands
        )
        caption = scope.scope
        if scope.ratio:
            ratio = scope.ratio
            verdict = "significant" if ratio.significant else "within noise"
            caption += (
                f": worst band vs best, churn ratio {ratio.value:.2f} ({ratio.ci_low:.2f} to {ratio.ci_high:.2f}),"
                f" {verdict}"
            )
        columns = (
            Column("Band"),
            Column("n", numeric=True),
            Column("Churned", numeric=True),
            Column.with_interval("Churn rate %"),
            Column("Revenue (year before)", numeric=True),
        )
        tables.append(Table(f"churn-by-band-{number}", caption, columns, rows))
    return tables


def operations_table(ops: OperationsAnalysis, metric_names: Mapping[MetricKind, str]) -> Table:
    """Each operational measure's rank correlation with the metric, its interval and reading."""
    rows = []
    for m in ops.measures:
        c = m.correlation
        small = m.pairs < ops.min_n
        reading = ("significant" if c.significant else "within noise") if c else ""
        rows.append(
            Row(
                (
                    text(m.event),
                    text(m.measure),
                    _n(m.pairs, small),
                    with_interval(
                        c.rho if c else None, c.ci_low if c else None, c.ci_high if c else None, 2, signed=True
                    ),
                    text(" ".join(p for p in (reading, m.explanation or "") if p) or None),
                ),
                small=small,
            )
        )
    columns = (
        Column("Event"),
        Column("Measure"),
        Column("n", numeric=True),
        Column.with_interval("Rank correlation"),
        Column("Reading"),
    )
    return Table("operations", f"Measures against {metric_names[ops.metric]}", columns, tuple(rows))


def _median(d: Distribution) -> Cell:
    return with_interval(d.median, d.median_low, d.median_high, 0)


def agents_tables(people: AgentAnalysis) -> list[Table]:
    """Agents and teams: tickets, CSAT (against the rest) and NPS with their n, median wait and resolution."""
    tables = []
    for heading, found in (("Agents", people.agents), ("Teams", people.teams)):
        if not found:
            continue
        rows = tuple(
            Row(
                (
                    text(a.name),
                    count(a.tickets),
                    _n(a.csat.n, a.csat.small_sample),
                    with_interval(a.csat.value, a.csat.ci_low, a.csat.ci_high),
                    with_interval(a.csat_vs_rest, a.csat_vs_rest_low, a.csat_vs_rest_high, signed=True),
                    with_interval(a.nps.value, a.nps.ci_low, a.nps.ci_high, 0, signed=True),
                    count(a.nps.n),
                    _median(a.wait),
                    _median(a.resolution),
                ),
                small=a.csat.small_sample,
            )
            for a in found
        )
        columns = (
            Column(heading[:-1]),
            Column("Tickets", numeric=True),
            Column("CSAT n", numeric=True),
            Column.with_interval("CSAT"),
            Column.with_interval("CSAT vs the rest"),
            Column.with_interval("NPS"),
            Column("NPS n", numeric=True),
            Column.with_interval("Median wait"),
            Column.with_interval("Median resolution"),
        )
        tables.append(Table(heading.lower(), heading, columns, rows))
    return tables


def _estimate(x: Interval | None, digits: int, *, note: str = "") -> Cell:
    if x is None:
        return with_interval(None, None, None, digits, note=note)
    return with_interval(x.value, x.low, x.high, digits, note=note)


def churn_tables(report: ChurnReport, top: ChurnCustomerPage) -> list[Table]:
    """The model's accuracy against its baselines, its calibration, and the customers most at risk."""
    tables = []
    base = report.baseline
    if report.status.value == "trained" and base is not None:
        fit_rows = (
            Row(
                (
                    text("AUC (higher is better; 0.5 is chance)"),
                    _estimate(report.auc, 3),
                    _estimate(base.rule_auc, 3, note=base.rule),
                    _estimate(report.auc_lift, 3),
                )
            ),
            Row(
                (
                    text("Brier score (lower is better)"),
                    _estimate(report.brier, 4),
                    with_interval(
                        base.base_rate_brier,
                        None,
                        None,
                        4,
                        note=f"everyone at the base rate {base.base_rate * 100:.1f} %",
                    ),
                    _estimate(report.brier_skill, 4),
                )
            ),
        )
        fit_columns = (
            Column("Measure"),
            Column.with_interval("Model"),
            Column.with_interval("Baseline"),
            Column.with_interval("Difference"),
        )
        caption = "Accuracy on the held-out snapshot, against what it must beat"
        tables.append(Table("churn-fit", caption, fit_columns, fit_rows))
        if report.calibration:
            rows = tuple(
                Row(
                    (
                        text(f"{b.low * 100:.0f} to {b.high * 100:.0f} %"),
                        _n(b.n, b.small_sample),
                        num(_pct(b.predicted), 1, unit=" %"),
                        with_interval(_pct(b.observed), _pct(b.observed_low), _pct(b.observed_high), unit=" %"),
                    ),
                    small=b.small_sample,
                )
                for b in report.calibration
            )
            columns = (
                Column("Predicted risk"),
                Column("n", numeric=True),
                Column("Mean predicted %", numeric=True),
                Column.with_interval("Observed %"),
            )
            method = f" ({report.calibration_method})" if report.calibration_method else ""
            tables.append(Table("calibration", f"Calibration{method}: predicted against observed churn", columns, rows))
    rows = tuple(
        Row(
            (
                text(c.name or c.external_id, href=f"/customers/{c.customer_id}"),
                num(c.probability * 100, 1, unit=" %"),
                text(", ".join(f.label for f in c.top_factors) or None),
                Cell(c.scored_at.date().isoformat(), (c.scored_at,)),
            )
        )
        for c in top.items
    )
    columns = (Column("Customer"), Column("Risk %", numeric=True), Column("Raised most by"), Column("Scored"))
    caption = f"The {len(top.items)} highest of {top.total} scored customers"
    if top.horizon_days:
        caption += f": probability of churning within {top.horizon_days} days"
    tables.append(Table("at-risk", caption, columns, rows))
    return tables


def experiments_table(experiments: Sequence[ExperimentRead]) -> Table:
    """Every experiment, the latest start first."""
    rows = tuple(
        Row(
            (
                text(e.name, href=f"/insights/experiments/{e.key}"),
                text(e.metric.value.upper()),
                text(", ".join(v.key for v in e.variants)),
                text(e.segment or "every customer"),
                text(e.status.value),
                Cell(e.start_date.isoformat(), (e.start_date,)),
                Cell(e.end_date.isoformat() if e.end_date else "open", (e.end_date,)),
            )
        )
        for e in experiments
    )
    columns = (
        Column("Experiment"),
        Column("Metric"),
        Column("Variants"),
        Column("Segment"),
        Column("Status"),
        Column("Starts"),
        Column("Ends"),
    )
    return Table("experiments", "Experiments, the latest start first", columns, rows)


def experiment_tables(found: ExperimentResults, metric_name: str) -> list[Table]:
    """One experiment's metric per variant, and each treatment against the control."""
    variants = tuple(
        Row(
            (
                text(v.key),
                num(v.weight, 1),
                _n(v.value.n, v.value.small_sample),
                with_interval(v.value.value, v.value.ci_low, v.value.ci_high),
            ),
            small=v.value.small_sample,
        )
        for v in found.variants
    )
    variant_columns = (
        Column("Variant"),
        Column("Weight", numeric=True),
        Column("n", numeric=True),
        Column.with_interval(metric_name),
    )
    tables = [Table("variants", f"{metric_name} per variant", variant_columns, variants)]
    if found.comparisons:
        rows = tuple(
            Row(
                (
                    text(f"{c.variant} vs {c.control}"),
                    with_interval(c.difference, c.ci_low, c.ci_high, signed=True),
                    num(c.p_adjusted, 3),
                    text(f"{c.verdict}. {c.sentence}"),
                )
            )
            for c in found.comparisons
        )
        columns = (
            Column("Variant"),
            Column.with_interval("Difference"),
            Column("p (adjusted)", numeric=True),
            Column("Verdict"),
        )
        tables.append(Table("comparisons", "Each variant against the control", columns, rows))
    return tables


def evidence_tables(found: MaturityRead) -> list[Table]:
    """The evidence of each maturity pillar: a share with its interval and n, or a count."""
    tables = []
    for p in found.pillars:
        rows = []
        for e in p.evidence:
            share = e.unit == "%"
            value = (
                with_interval(e.value, e.ci_low, e.ci_high, unit=" %")
                if share
                else with_interval(e.value, None, None, 0)
            )
            rows.append(Row((text(e.label), value, _n(e.n, e.small_sample)), small=e.small_sample))
        columns = (Column("Measure"), Column.with_interval("Value"), Column("n", numeric=True))
        tables.append(Table(f"evidence-{p.pillar}", f"The evidence for {p.pillar}", columns, tuple(rows)))
    return tables
