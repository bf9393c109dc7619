"""Operational measures against experience: a numeric property of an event (a ticket's wait, transfers and reopens,
an order's days late) against the score of the response that followed the event.

A response is linked to its customer's latest event of that name at or before it, when the event is at most
`window_days` older; each event counts once, with the first response after it. The measure is binned (one bin per
value when it takes few values, else quantiles) with the metric and its interval per bin, and its Spearman rank
correlation with the score is tested. Left to find them, the analysis tries every numeric property of every event
name (those found numeric in the latest events of the name) and reports the correlations that stay significant after
Benjamini-Hochberg at 5% over all of them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from cxloop.analytics import metrics, significance
from cxloop.analytics import queries as analytics_queries
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.outcomes import effects, queries
from cxloop.analytics.outcomes.business import parse_metric
from cxloop.analytics.outcomes.schemas import CorrelationRead, MeasureAnalysis, MeasureBin, OperationsAnalysis
from cxloop.analytics.schemas import MetricValue
from cxloop.core.errors import FieldError, InvalidInput

DEFAULT_WINDOW_DAYS = 14
DEFAULT_BINS = 5
SAMPLE_EVENTS = 500  # latest events of a name read to find its numeric properties
NUMERIC_SHARE = 0.8  # a property is a measure when at least this share of the events that carry it give a number
IDENTIFIERS = ("id", "_id")  # numeric ids (ticket_id: 4711) are not measures


def number(value: Any) -> float | None:
    """A finite number as float, or None (absent, text, true/false)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _is_name(key: str) -> bool:
    """A property name SQL can address on both databases (SQLite's JSON paths take no quote or backslash)."""
    return key.isprintable() and '"' not in key and "\\" not in key


def numeric_properties(samples: Sequence[dict[str, Any]]) -> list[str]:
    """Properties that are numbers in at least NUMERIC_SHARE of the samples carrying them, ids (and names with a
    quote or backslash) left out."""
    carried: Counter[str] = Counter()
    numeric: Counter[str] = Counter()
    for properties in samples:
        for key, value in properties.items():
            if value is None:
                continue
            carried[key] += 1
            numeric[key] += number(value) is not None
    return sorted(
        key
        for key, n in carried.items()
        if numeric[key] >= NUMERIC_SHARE * n and not key.endswith(IDENTIFIERS) and key != "id" and _is_name(key)
    )


def analyse(
    session: Session,
    *,
    metric: str = "csat",
    event: str | None = None,
    measure: str | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    bins: int = DEFAULT_BINS,
    touchpoint: str | None = None,
) -> OperationsAnalysis:
    """One measure (`event` and `measure` given), every measure of one event (`event`), or every measure of every
    event; InvalidInput names a bad field."""
    kind = parse_metric(metric)
    errors: list[FieldError] = []
    if not 1 <= window_days <= 365:
        errors.append(FieldError("window_days", "must be 1-365 days"))
    if not 2 <= bins <= 20:
        errors.append(FieldError("bins", "must be 2-20"))
    if measure is not None and event is None:
        errors.append(FieldError("event", "name the event whose property `measure` is"))
    touchpoint_id = None
    if touchpoint is not None:
        touchpoint_id = analytics_queries.touchpoint_id(session, key=touchpoint)
        if touchpoint_id is None:
            errors.append(FieldError("touchpoint", f"there is no touchpoint '{touchpoint}'"))
    known = dict(queries.event_names(session))
    if event is not None and event not in known:
        errors.append(FieldError("event", f"no customer has an event named '{event}'"))
    if errors:
        raise InvalidInput("the operations analysis cannot run with these values", errors=errors)
    minimum = metrics.min_n(kind)
    candidates: dict[str, list[str]] = {}
    for name in [event] if event is not None else sorted(known):
        assert name is not None
        found = numeric_properties(queries.recent_properties(session, name=name, limit=SAMPLE_EVENTS))
        if measure is not None:
            if measure not in found:
                raise InvalidInput(
                    "no such measure",
                    errors=[FieldError("measure", f"'{event}' events carry no numeric '{measure}' ({_list(found)})")],
                )
            found = [measure]
        if found:
            candidates[name] = found
    result = OperationsAnalysis(
        metric=kind, window_days=window_days, min_n=minimum, measures=[], findings=[], explanation=""
    )
    if not candidates:
        result.explanation = (
            "No event carries a numeric property to set against the scores: send events with numbers in their "
            "properties (a ticket's wait_minutes, an order's days_late)."
        )
        return result
    window = timedelta(days=window_days)
    for name, props in candidates.items():
        events = queries.events_with(session, names=[name], keys=props)
        linked_to = queries.first_answers(
            session, metrics=[kind.value], events=events, window=window, touchpoint_id=touchpoint_id
        )
        positions, scores = linked_to[kind.value]
        linked = list(zip(positions.tolist(), scores.tolist(), strict=True))
        for prop in props:
            values = events.values[prop].mapped(number)
            pairs = [(v, score) for at, score in linked if (v := values[at]) is not None]
            result.measures.append(_measure(kind, name, prop, pairs, bins, minimum, window_days))
    _mark_significant(result.measures)
    result.findings = [_finding(m) for m in result.measures if m.correlation and m.correlation.significant]
    tested = sum(1 for m in result.measures if m.correlation is not None)
    result.explanation = (
        f"{tested} of {len(result.measures)} measures had at least {minimum} responses within {window_days} days "
        f"after their event; {len(result.findings)} correlate with {kind.value.upper()} at a false-discovery rate "
        f"of {significance.FDR_Q:.0%}."
    )
    return result


def _list(names: Sequence[str]) -> str:
    return "numeric ones: " + ", ".join(names) if names else "it has no numeric properties"


def summarise(kind: MetricKind, scores: Sequence[int]) -> MetricValue:
    definition = metrics.metric(kind)
    return MetricValue(**definition.fields(definition.summarise(Counter(scores))))


def _measure(
    kind: MetricKind,
    event: str,
    prop: str,
    pairs: list[tuple[float, int]],
    bins: int,
    minimum: int,
    window_days: int,
) -> MeasureAnalysis:
    result = MeasureAnalysis(
        event=event, measure=prop, metric=kind, pairs=len(pairs), bins=[], correlation=None, explanation=""
    )
    if len(pairs) < minimum:
        result.explanation = (
            f"{event}.{prop}: {len(pairs)} responses within {window_days} days after the event; at least {minimum} "
            "are needed."
        )
        return result
    values = [v for v, _ in pairs]
    edges = effects.bin_edges(values, bins)
    grouped: list[list[tuple[float, int]]] = [[] for _ in edges]
    for value, score in pairs:
        grouped[effects.bin_index(edges, value)].append((value, score))
    result.bins = [
        MeasureBin(
            low=min(v for v, _ in group), high=max(v for v, _ in group), value=summarise(kind, [s for _, s in group])
        )
        for group in grouped
        if group
    ]
    correlation = effects.spearman(values, [s for _, s in pairs])
    if correlation is None:
        result.explanation = f"{event}.{prop}: the measure or the score never varies; no correlation to read."
        return result
    result.correlation = CorrelationRead(
        n=correlation.n,
        rho=correlation.rho,
        ci_low=correlation.ci_low,
        ci_high=correlation.ci_high,
        p_value=correlation.p_value,
    )
    result.explanation = (
        f"{event}.{prop} vs {kind.value.upper()}: Spearman rho {correlation.rho:+.2f} (95% interval "
        f"{correlation.ci_low:+.2f}..{correlation.ci_high:+.2f}, n = {correlation.n}, "
        f"p {effects.p_words(correlation.p_value)})."
    )
    return result


def _mark_significant(measures: list[MeasureAnalysis]) -> None:
    tested = [m.correlation for m in measures if m.correlation is not None]
    for correlation, q in zip(tested, significance.benjamini_hochberg([c.p_value for c in tested]), strict=True):
        correlation.q_value = q
        correlation.significant = q <= significance.FDR_Q and (correlation.ci_low > 0 or correlation.ci_high < 0)


def _finding(measure: MeasureAnalysis) -> str:
    assert measure.correlation is not None
    first, last = measure.bins[0], measure.bins[-1]
    way = "higher" if measure.correlation.rho > 0 else "lower"
    unit = "%" if measure.metric is MetricKind.csat else ""

    def shown(value: MetricValue) -> str:
        return "-" if value.value is None else f"{value.value:.1f}{unit} (n = {value.n})"

    return (
        f"The more {measure.event}.{measure.measure}, the {way} the {measure.metric.value.upper()} "
        f"(rho {measure.correlation.rho:+.2f}, 95% interval {measure.correlation.ci_low:+.2f}.."
        f"{measure.correlation.ci_high:+.2f}, n = {measure.correlation.n}): {shown(first.value)} at "
        f"{_range(first)} vs {shown(last.value)} at {_range(last)}."
    )


def _range(found: MeasureBin) -> str:
    return f"{found.low:g}" if found.low == found.high else f"{found.low:g}-{found.high:g}"
