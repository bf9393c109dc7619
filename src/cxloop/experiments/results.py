"""Experiment results: the metric per variant and each treatment against the control (docs/experiments.md).

Each customer counts once, with their latest answer on the metric between the start and end dates (UTC days; up to
today while running), in the variant the stable hash gives them: customers, not responses, are what was randomised,
so several answers from one customer are not counted as independent evidence. The statistics are analytics': the
metric's summary and interval (stats.py), its estimate and the z or Welch test (significance.py). With several
treatments the p-values are Bonferroni-adjusted for their number.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from cxloop.analytics import metrics, significance, stats
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.schemas import MetricValue
from cxloop.core.clock import utcnow
from cxloop.experiments import queries
from cxloop.experiments import service as experiments
from cxloop.experiments.assignment import variant_for
from cxloop.experiments.schemas import ExperimentResults, VariantComparison, VariantResult

UNITS = {MetricKind.nps: "points", MetricKind.csat: "points", MetricKind.ces: "on 1-7"}


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def histograms(
    session: Session,
    *,
    key: str,
    metric: MetricKind,
    segment_id: int | None,
    first: date,
    last: date,
    weights: list[tuple[str, float]],
) -> dict[str, Counter[int]]:
    """Variant -> score histogram of its customers' latest answers in [first, last]."""
    found: dict[str, Counter[int]] = {variant: Counter() for variant, _ in weights}
    rows = queries.latest_scores(
        session, metric=metric.value, segment_id=segment_id, since=midnight(first), until=midnight(last + timedelta(1))
    )
    for external_id, score in rows:
        found[variant_for(key, external_id, weights)][score] += 1
    return found


def results(session: Session, *, key: str, today: date | None = None) -> ExperimentResults:
    """The experiment's metric per variant (n, 95% interval, small-sample flag) and each treatment - control."""
    experiment = experiments.require_experiment(session, key=key)
    today = today or utcnow().date()
    kind = MetricKind(experiment.metric)
    last = min(experiment.end_date or today, today)
    weights = experiments.weights(experiment)
    found = histograms(
        session,
        key=key,
        metric=kind,
        segment_id=experiment.segment_id,
        first=experiment.start_date,
        last=max(last, experiment.start_date),
        weights=weights,
    )
    definition = metrics.metric(kind)
    summaries = {variant: definition.summarise(hist) for variant, hist in found.items()}
    values = {variant: MetricValue(**definition.fields(summary)) for variant, summary in summaries.items()}
    minimum = metrics.min_n(kind)
    control = weights[0][0]
    treatments = [variant for variant, _ in weights[1:]]
    comparisons = []
    for variant in treatments:
        compared = VariantComparison(variant=variant, control=control, sentence="")
        short = [(name, values[name].n) for name in (variant, control) if values[name].n < minimum]
        if short:
            have = ", ".join(f"{name} has n = {n}" for name, n in short)
            compared.sentence = f"Too few to compare: {have}; each variant needs at least {minimum} answers."
        else:
            a, b = definition.estimate(summaries[variant]), definition.estimate(summaries[control])
            assert a is not None and b is not None
            result = significance.compare(a, b)
            adjusted = min(1.0, result.p_value * len(treatments))
            compared.difference, compared.ci_low, compared.ci_high = result.difference, result.ci_low, result.ci_high
            compared.p_value, compared.p_adjusted = result.p_value, adjusted
            compared.verdict = "significant" if adjusted < stats.ALPHA else "within noise"
            compared.sentence = _sentence(kind, variant, control, values, compared)
        comparisons.append(compared)
    return ExperimentResults(
        experiment=experiments.read(session, experiment, today=today),
        start=experiment.start_date,
        end=last,
        min_n=minimum,
        variants=[VariantResult(key=variant, weight=weight, value=values[variant]) for variant, weight in weights],
        comparisons=comparisons,
    )


def _sentence(
    kind: MetricKind, variant: str, control: str, values: dict[str, MetricValue], compared: VariantComparison
) -> str:
    digits = 2 if kind is MetricKind.ces else 1
    difference = compared.difference or 0.0

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    way = "above" if difference >= 0 else "below"
    adjusted = (
        "" if compared.p_adjusted == compared.p_value else f", adjusted for several variants {compared.p_adjusted:.2g}"
    )
    return (
        f"{kind.value.upper()} of {variant} ({fmt(values[variant].value)}, n = {values[variant].n}) is "
        f"{fmt(abs(difference))} {UNITS[kind]} {way} {control} ({fmt(values[control].value)}, "
        f"n = {values[control].n}); 95% interval of the difference {fmt(compared.ci_low)}..{fmt(compared.ci_high)}, "
        f"p = {compared.p_value:.2g}{adjusted}: {compared.verdict}."
    )
