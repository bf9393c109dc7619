"""Metrics: NPS, CSAT and CES grouped by time and dimensions, from rollups when they can answer, else raw rows.

Both paths count the same feedback into histograms in SQL; Python turns histograms into metrics (stats.py), so
they give identical numbers. docs/metrics.md states the definitions and rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.analytics import buckets, metrics, queries, rollups, stats
from cxloop.analytics.enums import GroupKey, MetricKind, MetricPath, MetricSource
from cxloop.analytics.models import Anomaly
from cxloop.analytics.queries import Count, CountSpec
from cxloop.analytics.schemas import AnomalyRead, MetricGroup, MetricQuery, MetricResult, MetricValue
from cxloop.collection import local_days
from cxloop.collection.enums import Channel
from cxloop.collection.schemas import NO_FILTERS, ResolvedFilters
from cxloop.core.clock import ensure_utc, parse_bound
from cxloop.core.errors import FieldError, InvalidInput

ROLLUP_DIMENSIONS = frozenset({"segment", "stage", "touchpoint", "channel", "survey"})
FILTER_FIELDS = ("segment", "stage", "touchpoint", "channel", "survey", "account")
_ID_DIMENSIONS = frozenset({"segment", "stage", "touchpoint", "survey", "account"})

Histograms = dict[tuple[Any, ...], Counter[int]]


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"invalid {field}", errors=[FieldError(field, message)])


def parse_query(
    *,
    metric: str,
    group_by: str | None = None,
    tz: str = "UTC",
    start: str | None = None,
    end: str | None = None,
    source: str = "all",
    filters: Mapping[str, str | None] | None = None,
) -> MetricQuery:
    """Build a MetricQuery from text (query parameters, CLI options); InvalidInput names each bad field."""
    errors: list[FieldError] = []

    def choice(field: str, value: str, kind: type[Any]) -> Any:
        try:
            return kind(value.strip())
        except ValueError:
            options = ", ".join(member.value for member in kind)
            errors.append(FieldError(field, f"'{value}' is not one of: {options}"))
            return None

    metric_kind = choice("metric", metric, MetricKind)
    keys = [choice("group_by", part, GroupKey) for part in (group_by or "").split(",") if part.strip()]
    source_kind = choice("source", source, MetricSource)
    bounds: dict[str, datetime | date | None] = {}
    for field, text in (("start", start), ("end", end)):
        bounds[field] = None
        if text:
            try:
                bounds[field] = _parse_bound(text, tz)
            except ValueError:
                errors.append(FieldError(field, f"'{text}' is not a date (2026-03-01) or an ISO-8601 instant"))
    if errors:
        raise InvalidInput("the metric query has invalid fields", errors=errors)
    extra = {k: v for k, v in (filters or {}).items() if k in FILTER_FIELDS and v}
    return MetricQuery(
        metric=metric_kind,
        group_by=keys,
        tz=tz,
        start=bounds["start"],
        end=bounds["end"],
        source=source_kind,
        **extra,
    )


def _parse_bound(text: str, tz: str) -> datetime | date:
    """A date stays a local day of `tz` (`end` includes it); a time is read as the list endpoints read it (a time
    without offset is that wall time in `tz`: core.clock.parse_bound)."""
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    try:
        zone_info = local_days.zone(tz)
    except ValueError:
        zone_info = local_days.zone("UTC")  # compute_metric names the bad tz
    return parse_bound(text, zone_info)


def compute_metric(session: Session, *, query: MetricQuery) -> MetricResult:
    """NPS, CSAT or CES for the query's feedback: the total, and one entry per group with n and a 95% interval."""
    return metric_with_histogram(session, query=query)[0]


def metric_with_histogram(session: Session, *, query: MetricQuery) -> tuple[MetricResult, Counter[int]]:
    """compute_metric, and the score histogram of its total (for comparisons and targets)."""
    try:
        tz = local_days.zone(query.tz)
    except ValueError as exc:
        raise _invalid("tz", str(exc)) from exc
    time_keys = [key for key in query.group_by if key.is_time]
    dims = tuple(key.value for key in query.group_by if not key.is_time)
    if len(set(query.group_by)) != len(query.group_by):
        raise _invalid("group_by", "a key is listed twice")
    if len(time_keys) > 1:
        raise _invalid("group_by", "group by at most one of day, week, month, quarter")
    time_key = time_keys[0] if time_keys else None
    spec, echo, use_rollups = _count_spec(session, query, tz, dims, by_day=time_key is not None)
    path = MetricPath.rollup if use_rollups else MetricPath.raw
    first_day, start_at = spec.first_day, spec.start_at
    hists = _fold(_count(session, spec, use_rollups, time_key), time_key)
    previous: Histograms = {}
    if time_key is not None and (first_day is not None or start_at is not None):
        # The first period's change compares with the period before the range, so count that one too.
        opening = first_day if first_day is not None else local_days.local_day(start_at, tz)  # type: ignore[arg-type]
        first = buckets.bucket_start(opening, time_key)
        before = replace(
            spec, first_day=buckets.previous_start(first, time_key), last_day=first - 1, start_at=None, end_at=None
        )
        previous = _fold(_count(session, before, use_rollups, time_key), time_key)

    if "segment" in dims or (not dims and time_key is None):
        # Segments overlap and leave non-members out, so the total is counted on its own: from the rollups whenever
        # its filters alone allow it, even when the groups need raw rows (by segment within a channel).
        total_spec = replace(spec, dims=(), by_day=False)
        total_rollups = use_rollups or _rollups_can_answer(query, (), tz.key)
        total_hist: Counter[int] = Counter()
        for hist in _fold(_count(session, total_spec, total_rollups, None), None).values():
            total_hist.update(hist)
    else:
        total_hist = Counter()
        for hist in hists.values():
            total_hist.update(hist)

    names: Names = {}
    if dims:
        names = _names(session, dims, [hists, previous])
        hists, previous = _forget_deleted(hists, dims, names), _forget_deleted(previous, dims, names)
    groups = _groups(query, hists, previous, time_key, dims, names) if query.group_by else []
    result = MetricResult(
        metric=query.metric,
        tz=tz.key,
        group_by=list(query.group_by),
        filters=echo,
        source=query.source,
        total=MetricValue(**_summary(query.metric, total_hist)[1]),
        groups=groups,
        path=path,
    )
    return result, total_hist


def _count_spec(
    session: Session, query: MetricQuery, tz: Any, dims: tuple[str, ...], *, by_day: bool
) -> tuple[CountSpec, dict[str, str], bool]:
    """What to count for the query (its range checked, its filters resolved), the filters' echo, and whether the
    rollups can answer."""
    first_day, start_at = _bound(query.start)
    last_day, end_at = _bound(query.end)
    _check_order(query, tz)
    filters, echo = _resolve_filters(session, query)
    spec = CountSpec(
        metric=query.metric.value,
        source=query.source.value,
        tz=tz,
        dims=dims,
        by_day=by_day,
        filters=filters,
        first_day=first_day,
        last_day=last_day,
        start_at=start_at,
        end_at=end_at,
        scores=metrics.metric(query.metric).scores[query.source],
    )
    return spec, echo, _rollups_can_answer(query, dims, tz.key)


@dataclass(frozen=True)
class PeriodComparison:
    """A metric's total over a period and over an earlier one with the same filters, and the change between them
    (current minus previous) with whether a 5% two-sided test finds it significant."""

    current: MetricValue
    previous: MetricValue
    change: float | None
    significant: bool


def compare_periods(session: Session, *, query: MetricQuery, previous: MetricQuery) -> PeriodComparison:
    """The totals of `query` and `previous` (the same metric and filters over another range) and their change, tested
    as the time groups of `compute_metric` are (docs/metrics.md)."""
    if previous.metric != query.metric:
        raise _invalid("metric", "both periods must ask for the same metric")
    summaries = []
    for period in (query, previous):
        try:
            tz = local_days.zone(period.tz)
        except ValueError as exc:
            raise _invalid("tz", str(exc)) from exc
        spec, _, use_rollups = _count_spec(session, period, tz, (), by_day=False)
        hist: Counter[int] = Counter()
        for counted in _fold(_count(session, spec, use_rollups, None), None).values():
            hist.update(counted)
        summaries.append(_summary(period.metric, hist))
    (now, now_fields), (before, before_fields) = summaries
    change = _change(query.metric, now, before)
    return PeriodComparison(
        current=MetricValue(**now_fields),
        previous=MetricValue(**before_fields),
        change=change.value,
        significant=change.significant,
    )


def _bound(value: datetime | date | None) -> tuple[int | None, datetime | None]:
    """A date becomes a local day number; an instant stays an instant."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        return None, ensure_utc(value)
    return local_days.day_number(value), None


def _check_order(query: MetricQuery, tz: Any) -> None:
    if query.start is None or query.end is None:
        return

    def as_day(value: datetime | date) -> int:
        if isinstance(value, datetime):
            return local_days.local_day(ensure_utc(value), tz)
        return local_days.day_number(value)

    both_instants = isinstance(query.start, datetime) and isinstance(query.end, datetime)
    if both_instants and ensure_utc(query.start) > ensure_utc(query.end):  # type: ignore[arg-type]
        raise _invalid("end", "end is before start")
    if as_day(query.start) > as_day(query.end):
        raise _invalid("end", "end is before start")


def _resolve_filters(session: Session, query: MetricQuery) -> tuple[ResolvedFilters, dict[str, str]]:
    """Keys to ids; an unknown key is an InvalidInput naming the filter."""
    resolved: dict[str, Any] = {}
    errors: list[FieldError] = []
    lookups: dict[str, Callable[[str], int | None]] = {
        "segment": lambda key: queries.segment_id(session, key=key),
        "stage": lambda key: queries.stage_id(session, key=key),
        "touchpoint": lambda key: queries.touchpoint_id(session, key=key),
        "survey": lambda key: queries.survey_id(session, key=key),
        "account": lambda key: queries.account_id(session, external_id=key),
    }
    echo: dict[str, str] = {}
    for field, lookup in lookups.items():
        key = getattr(query, field)
        if key is None:
            continue
        echo[field] = key
        found = lookup(key)
        target = f"{field}_id"
        if found is None:
            errors.append(FieldError(field, f"there is no {field} '{key}'"))
        resolved[target] = found
    if query.channel is not None:
        echo["channel"] = query.channel
        if query.channel not in {c.value for c in Channel}:
            options = ", ".join(c.value for c in Channel)
            errors.append(FieldError("channel", f"'{query.channel}' is not one of: {options}"))
        resolved["channel"] = query.channel
    if errors:
        raise InvalidInput("a filter names something that does not exist", errors=errors)
    for field in ("start", "end"):
        value = getattr(query, field)
        if value is not None:
            echo[field] = value.isoformat()
    return ResolvedFilters(**resolved), echo


def resolve_filters(session: Session, query: MetricQuery) -> ResolvedFilters:
    """The query's filters by id (channel by name), for a reader that applies them itself (the journey map's top
    themes); an unknown key is an InvalidInput naming the filter."""
    return _resolve_filters(session, query)[0]


def check_query(session: Session, query: MetricQuery) -> None:
    """What compute_metric and compare_periods check before counting (the zone, the range's order, every filter
    naming something that exists), without counting: InvalidInput naming the field. For a page that reads the
    figures from a stored result but must refuse a bad filter at once."""
    try:
        tz = local_days.zone(query.tz)
    except ValueError as exc:
        raise _invalid("tz", str(exc)) from exc
    _check_order(query, tz)
    _resolve_filters(session, query)


def answers_from_rollups(query: MetricQuery) -> bool:
    """Whether compute_metric answers `query` from the rollups (an index range, no raw rows; the same figures)."""
    try:
        zone = local_days.zone(query.tz).key
    except ValueError:
        return False
    dims = tuple(key.value for key in query.group_by if not key.is_time)
    return _rollups_can_answer(query, dims, zone)


def _rollups_can_answer(query: MetricQuery, dims: tuple[str, ...], zone: str) -> bool:
    """Rollups hold one dimension at a time, by whole local days, in the configured zones only."""
    if zone not in rollups.rolled_up_timezones():
        return False
    if isinstance(query.start, datetime) or isinstance(query.end, datetime):
        return False
    used = set(dims) | {field for field in FILTER_FIELDS if getattr(query, field) is not None}
    return len(used) <= 1 and used <= ROLLUP_DIMENSIONS


def _count(session: Session, spec: CountSpec, use_rollups: bool, bucket: GroupKey | None) -> list[Count]:
    if not use_rollups:
        return queries.raw_counts(session, spec=spec)
    f = spec.filters
    filter_values = {
        "segment": f.segment_id,
        "stage": f.stage_id,
        "touchpoint": f.touchpoint_id,
        "survey": f.survey_id,
        "channel": f.channel,
    }
    filtered = [(dim, value) for dim, value in filter_values.items() if value is not None]
    dim, dim_value = filtered[0] if filtered else (spec.dims[0] if spec.dims else "all", None)
    return queries.rollup_counts(
        session,
        metrics=list(spec.scores),
        tz=spec.tz.key,
        dim=dim,
        dim_value=None if dim_value is None else str(dim_value),
        by_dim=bool(spec.dims),
        bucket=bucket,
        first_day=spec.first_day,
        last_day=spec.last_day,
    )


def _fold(counts: list[Count], time_key: GroupKey | None) -> Histograms:
    """Histograms per group: (bucket start or None, *dimension values as text) -> score -> n."""
    hists: Histograms = {}
    starts: dict[int, int] = {}  # day -> bucket start, computed once per distinct day
    for dims, day, score, n in counts:
        bucket = None
        if time_key is not None and day is not None:
            bucket = starts.get(day)
            if bucket is None:
                bucket = starts[day] = buckets.bucket_start(day, time_key)
        key = (bucket, *(None if value is None or value == "" else str(value) for value in dims))
        hist = hists.get(key)
        if hist is None:
            hist = hists[key] = Counter()
        hist[score] += n
    return hists


def _summary(metric: MetricKind, hist: Mapping[int, int]) -> tuple[Any, dict[str, Any]]:
    definition = metrics.metric(metric)
    summary = definition.summarise(hist)
    return summary, definition.fields(summary)


def _change(metric: MetricKind, current: Any, previous: Any) -> stats.Change:
    return metrics.metric(metric).change(current, previous)


Names = dict[str, dict[int, tuple[str, str]]]  # dimension -> id -> (key, display name)


def _names(session: Session, dims: tuple[str, ...], histograms: list[Histograms]) -> Names:
    names: Names = {}
    for position, dim in enumerate(dims, start=1):
        if dim in _ID_DIMENSIONS:
            ids = {int(key[position]) for hists in histograms for key in hists if key[position] is not None}
            names[dim] = queries.labels(session, dim=dim, ids=ids)
    return names


def _forget_deleted(hists: Histograms, dims: tuple[str, ...], names: Names) -> Histograms:
    """Fold groups of deleted stages/touchpoints into the null group, as their raw rows were (ON DELETE SET NULL)."""
    merged: Histograms = {}
    for key, hist in hists.items():
        values = [
            None if value is not None and dim in names and int(value) not in names[dim] else value
            for dim, value in zip(dims, key[1:], strict=True)
        ]
        merged.setdefault((key[0], *values), Counter()).update(hist)
    return merged


def _groups(
    query: MetricQuery,
    hists: Histograms,
    previous: Histograms,
    time_key: GroupKey | None,
    dims: tuple[str, ...],
    names: Names,
) -> list[MetricGroup]:
    def describe(dim: str, value: str | None) -> tuple[str | None, str | None]:
        if value is None or dim not in _ID_DIMENSIONS:
            return value, value
        return names[dim].get(int(value), (value, value))

    described = {key: [describe(dim, key[i]) for i, dim in enumerate(dims, start=1)] for key in hists}

    def order(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return (key[0] or 0, *((label[0] is None, label[0] or "") for label in described[key]))

    groups: list[MetricGroup] = []
    for key in sorted(hists, key=order):
        summary, fields = _summary(query.metric, hists[key])
        keys: dict[str, str | None] = {}
        labels: dict[str, str | None] = {}
        for group_key in query.group_by:
            if group_key.is_time:
                keys[group_key.value] = buckets.bucket_label(key[0], group_key)
            else:
                position = dims.index(group_key.value)
                keys[group_key.value], labels[group_key.value] = described[key][position]
        change = None
        if time_key is not None:
            before = (buckets.previous_start(key[0], time_key), *key[1:])
            earlier = hists.get(before) or previous.get(before)
            if earlier is not None:
                change = _change(query.metric, summary, _summary(query.metric, earlier)[0])
        groups.append(
            MetricGroup(
                keys=keys,
                labels=labels,
                change=change.value if change else None,
                change_significant=change.significant if change else (False if time_key is not None else None),
                **fields,
            )
        )
    return groups


def daily_histograms(
    session: Session, *, metric: MetricKind, dim: str | None, first_day: int, last_day: int
) -> dict[tuple[int, str | None], Counter[int]]:
    """(UTC day, dimension value as text or None) -> score histogram of one metric over all feedback, for the days
    first_day..last_day; from the rollups when UTC is rolled up (one range scan), else from raw rows."""
    dims = (dim,) if dim else ()
    spec = CountSpec(
        metric=metric.value,
        source=MetricSource.all.value,
        tz=local_days.zone("UTC"),
        dims=dims,
        by_day=True,
        filters=NO_FILTERS,
        first_day=first_day,
        last_day=last_day,
        scores=metrics.metric(metric).scores[MetricSource.all],
    )
    use_rollups = "UTC" in rollups.rolled_up_timezones() and (dim is None or dim in ROLLUP_DIMENSIONS)
    folded = _fold(_count(session, spec, use_rollups, GroupKey.day), GroupKey.day)
    return {(key[0], key[1] if dims else None): hist for key, hist in folded.items()}


def get_anomalies(session: Session, *, ids: list[int]) -> list[AnomalyRead]:
    """The stored anomalies with these ids, by id (what notifications tell about an `anomaly.detected` event)."""
    if not ids:
        return []
    rows = session.scalars(select(Anomaly).where(Anomaly.id.in_(ids)).order_by(Anomaly.id))
    return [AnomalyRead.model_validate(row, from_attributes=True) for row in rows]
