"""Compare one metric between two groups or periods: segment A vs B, this quarter vs last, this year vs last year.

Each side is a metric query (filters and a date range); the difference a - b gets a 95% interval and a two-sided
p-value from the metrics' estimates (significance.py: NPS from the trinomial variance, CSAT as a proportion, CES as
a mean with Welch's t). Below the metric's minimum n on either side the answer says so instead of a difference.
The two sides are treated as independent samples; segments that share customers make the test conservative only
roughly (docs/analytics.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date

from sqlalchemy.orm import Session

from cxloop.analytics import metrics, service, significance
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.schemas import ComparisonRead, ComparisonSide
from cxloop.core.errors import FieldError, InvalidInput

SIDE_FIELDS = ("segment", "stage", "touchpoint", "channel", "survey", "account", "start", "end")


def compare(
    session: Session,
    *,
    metric: str,
    a: Mapping[str, str | None],
    b: Mapping[str, str | None],
    tz: str = "UTC",
    year_over_year: bool = False,
) -> ComparisonRead:
    """`a` and `b` hold the filters and dates of each side (SIDE_FIELDS); a field `b` leaves out is `a`'s.
    year_over_year: b is a's dates one year earlier (a needs a start and an end date). InvalidInput names each bad
    field (prefixed `vs_` for side b)."""
    b_fields = {field: b.get(field) or a.get(field) for field in SIDE_FIELDS}
    if year_over_year:
        errors = [
            FieldError(field, "year over year needs a date here (2026-01-01)")
            for field in ("start", "end")
            if not _is_date(a.get(field))
        ]
        if errors:
            raise InvalidInput("year over year needs a start and an end date", errors=errors)
        b_fields["start"], b_fields["end"] = _year_before(a["start"]), _year_before(a["end"])  # type: ignore[arg-type]
    a_fields = {field: a.get(field) for field in SIDE_FIELDS}
    if a_fields == b_fields:
        raise InvalidInput(
            "the two sides are the same", errors=[FieldError("vs_segment", "name another segment or period for b")]
        )
    side_a, hist_a = _side(session, metric, tz, a_fields, prefix="")
    side_b, hist_b = _side(session, metric, tz, b_fields, prefix="vs_")
    kind = MetricKind(metric.strip())
    minimum = metrics.min_n(kind)
    definition = metrics.metric(kind)
    result = ComparisonRead(metric=kind, a=side_a, b=side_b, min_n=minimum)
    short = [side for side in (side_a, side_b) if side.value.n < minimum]
    if short:
        words = "; ".join(f"{side.label} has n = {side.value.n}" for side in short)
        result.explanation = f"Too few to compare: {words}; each side needs at least {minimum} {kind.value} answers."
        return result
    estimate_a = definition.estimate(definition.summarise(hist_a))
    estimate_b = definition.estimate(definition.summarise(hist_b))
    assert estimate_a is not None and estimate_b is not None
    comparison = significance.compare(estimate_a, estimate_b)
    result.difference = comparison.difference
    result.ci_low, result.ci_high = comparison.ci_low, comparison.ci_high
    result.p_value = comparison.p_value
    result.verdict = comparison.verdict
    result.explanation = _sentence(kind, side_a, side_b, comparison)
    return result


def _is_date(text: str | None) -> bool:
    if not text or len(text.strip()) != 10:
        return False
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _year_before(text: str) -> str:
    day = date.fromisoformat(text.strip())
    try:
        return day.replace(year=day.year - 1).isoformat()
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28).isoformat()


def _side(
    session: Session, metric: str, tz: str, fields: Mapping[str, str | None], *, prefix: str
) -> tuple[ComparisonSide, Counter[int]]:
    """The side's metric and histogram; InvalidInput names the side's fields with `prefix` (vs_ for b)."""
    try:
        query = service.parse_query(
            metric=metric, tz=tz, start=fields["start"], end=fields["end"], filters=dict(fields)
        )
        result, histogram = service.metric_with_histogram(session, query=query)
    except InvalidInput as exc:
        shared = ("metric", "tz")
        errors = [FieldError(e.field if e.field in shared else prefix + e.field, e.message) for e in exc.errors]
        raise InvalidInput(exc.message, errors=errors) from exc
    described = [f"{field} {value}" for field, value in fields.items() if value and field not in ("start", "end")]
    label = ", ".join(described) or "all feedback"
    if fields.get("start") or fields.get("end"):
        label = f"{label}, {fields.get('start') or '…'} to {fields.get('end') or '…'}"
    return ComparisonSide(label=label, filters=result.filters, value=result.total), histogram


def _sentence(kind: MetricKind, a: ComparisonSide, b: ComparisonSide, comparison: significance.Comparison) -> str:
    unit = {MetricKind.nps: "points", MetricKind.csat: "points", MetricKind.ces: "on 1-7"}[kind]

    def fmt(value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:.2f}" if kind is MetricKind.ces else f"{value:.1f}"

    way = "above" if comparison.difference >= 0 else "below"
    return (
        f"{kind.value.upper()} of {a.label} ({fmt(a.value.value)}, n = {a.value.n}) is "
        f"{fmt(abs(comparison.difference))} {unit} {way} {b.label} ({fmt(b.value.value)}, n = {b.value.n}); "
        f"95% interval of the difference {fmt(comparison.ci_low)}..{fmt(comparison.ci_high)}, "
        f"p = {comparison.p_value:.2g}: {comparison.verdict}."
    )
