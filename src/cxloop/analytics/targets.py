"""Metric targets ("NPS +10 in Enterprise by June"): where the metric stands, progress from its starting point, and
the probability of reaching the target by the due date.

Progress compares the last WINDOW_DAYS complete days with the WINDOW_DAYS before `start_date`. The probability
comes from the weekly values of the last TREND_WEEKS weeks: a straight line fitted by weighted least squares
(weights 1/se^2 from each week's estimate; the parameter covariance scaled up by the residual spread when weeks
vary more than sampling explains), projected to the due date; the figure then is measured over WINDOW_DAYS, so its
sampling error is added. P(reach) = P(projected >= target) under a normal approximation. Fewer than MIN_WEEKS
weeks with at least the metric's minimum n: no probability, and the reason (docs/analytics.md).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from statistics import NormalDist

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.analytics import metrics, queries, service, stats
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.models import MetricTarget
from cxloop.analytics.schemas import MetricQuery, MetricValue, TargetCreate, TargetRead
from cxloop.collection.local_days import day_number
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput, NotFound

WINDOW_DAYS = 28
TREND_WEEKS = 12
MIN_WEEKS = 4
MAX_YEARS_AHEAD = 5
VALUE_RANGE = {MetricKind.nps: (-100.0, 100.0), MetricKind.csat: (0.0, 100.0), MetricKind.ces: (1.0, 7.0)}


def create_target(session: Session, *, data: TargetCreate, today: date | None = None) -> MetricTarget:
    """Store a target; InvalidInput names a value off the metric's scale, an unknown segment or a due date not after
    the start."""
    today = today or utcnow().date()
    start = data.start_date or today
    errors: list[FieldError] = []
    low, high = VALUE_RANGE[data.metric]
    if not low <= data.target_value <= high:
        errors.append(FieldError("target_value", f"{data.metric.value} targets are {low:g} to {high:g}"))
    segment_id = None
    if data.segment is not None:
        segment_id = queries.segment_id(session, key=data.segment)
        if segment_id is None:
            errors.append(FieldError("segment", f"there is no segment '{data.segment}'"))
    if data.due_date <= start:
        errors.append(FieldError("due_date", "the due date must be after the start date"))
    elif data.due_date > start + timedelta(days=366 * MAX_YEARS_AHEAD):
        errors.append(FieldError("due_date", f"the due date must be within {MAX_YEARS_AHEAD} years of the start"))
    if errors:
        raise InvalidInput("the target has invalid fields", errors=errors)
    target = MetricTarget(
        name=data.name,
        metric=data.metric.value,
        segment_id=segment_id,
        target_value=data.target_value,
        start_date=start,
        due_date=data.due_date,
        created_at=utcnow(),
    )
    session.add(target)
    session.flush()
    return target


def require_target(session: Session, *, target_id: int) -> MetricTarget:
    target = session.get(MetricTarget, target_id)
    if target is None:
        raise NotFound(f"there is no target {target_id}")
    return target


def delete_target(session: Session, *, target_id: int) -> None:
    session.delete(require_target(session, target_id=target_id))
    session.flush()


def list_targets(session: Session) -> list[MetricTarget]:
    return list(session.scalars(select(MetricTarget).order_by(MetricTarget.due_date, MetricTarget.id)))


def read(session: Session, target: MetricTarget, *, as_of: date | None = None) -> TargetRead:
    """The target with its baseline, current value, progress and probability of being reached."""
    as_of = as_of or utcnow().date()
    kind = MetricKind(target.metric)
    segment = None
    if target.segment_id is not None:
        segment = queries.labels(session, dim="segment", ids=[target.segment_id]).get(target.segment_id, ("?", "?"))[0]
    last = as_of - timedelta(days=1)
    baseline = _value(
        session, kind, segment, target.start_date - timedelta(days=WINDOW_DAYS), target.start_date - timedelta(days=1)
    )
    current = _value(session, kind, segment, last - timedelta(days=WINDOW_DAYS - 1), last)
    result = TargetRead(
        id=target.id,
        name=target.name,
        metric=kind,
        segment=segment,
        target_value=target.target_value,
        start_date=target.start_date,
        due_date=target.due_date,
        baseline=baseline,
        current=current,
    )
    if (
        baseline.value is not None
        and current.value is not None
        and not baseline.small_sample
        and target.target_value != baseline.value
    ):
        result.progress_pct = (current.value - baseline.value) / (target.target_value - baseline.value) * 100
    if as_of > target.due_date:
        reached = current.value is not None and current.value >= target.target_value
        result.explanation = f"Due {target.due_date.isoformat()}: {'reached' if reached else 'not reached'}."
        return result
    weeks = _weekly(session, kind, segment, as_of)
    minimum = metrics.min_n(kind)
    usable = [(x, value, se) for x, value, se, n in weeks if n >= minimum]
    if len(usable) < MIN_WEEKS or current.value is None or current.small_sample:
        result.explanation = (
            f"Too few to project: {len(usable)} of the last {TREND_WEEKS} weeks have at least {minimum} answers "
            f"(a probability needs {MIN_WEEKS}), and the last {WINDOW_DAYS} days need {minimum}."
        )
        return result
    slope, projected, spread = _projection(usable, weeks_ahead=(target.due_date - as_of).days / 7)
    current_se = _se(current)  # the figure at the due date is measured over WINDOW_DAYS too
    total_sd = math.sqrt(spread**2 + current_se**2)
    result.trend_per_week = slope
    result.projected = projected
    result.probability = 1 - NormalDist(projected, total_sd).cdf(target.target_value)
    result.explanation = (
        f"Trend {slope:+.2f} a week over {len(usable)} weeks projects {projected:.1f} by "
        f"{target.due_date.isoformat()} (±{1.96 * total_sd:.1f}); chance of reaching {target.target_value:g}: "
        f"{result.probability:.0%}."
    )
    return result


def _value(session: Session, kind: MetricKind, segment: str | None, first: date, last: date) -> MetricValue:
    query = MetricQuery(metric=kind, start=first, end=last, segment=segment)
    return service.compute_metric(session, query=query).total


def _weekly(
    session: Session, kind: MetricKind, segment: str | None, as_of: date
) -> list[tuple[float, float, float, int]]:
    """(week index, value, se, n) for the complete weeks of the last TREND_WEEKS weeks."""
    this_monday = as_of - timedelta(days=as_of.weekday())
    first = this_monday - timedelta(weeks=TREND_WEEKS)
    query = service.parse_query(
        metric=kind.value,
        group_by="week",
        start=first.isoformat(),
        end=(this_monday - timedelta(days=1)).isoformat(),
        filters={"segment": segment},
    )
    result = service.compute_metric(session, query=query)
    points: list[tuple[float, float, float, int]] = []
    origin = day_number(this_monday)
    for group in result.groups:
        label = group.keys.get("week")
        if label is None or group.value is None or group.ci_low is None:
            continue
        year, week = label.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        points.append(((day_number(monday) - origin) / 7, group.value, max(_se(group), 1e-9), group.n))
    return points


def _projection(points: list[tuple[float, float, float]], *, weeks_ahead: float) -> tuple[float, float, float]:
    """Weighted least squares of value on week: (slope, projection at weeks_ahead, its standard error)."""
    weights = [1 / se**2 for _, _, se in points]
    sw = sum(weights)
    mean_x = sum(w * x for w, (x, _, _) in zip(weights, points, strict=True)) / sw
    mean_y = sum(w * y for w, (_, y, _) in zip(weights, points, strict=True)) / sw
    sxx = sum(w * (x - mean_x) ** 2 for w, (x, _, _) in zip(weights, points, strict=True))
    sxy = sum(w * (x - mean_x) * (y - mean_y) for w, (x, y, _) in zip(weights, points, strict=True))
    slope = sxy / sxx if sxx > 0 else 0.0
    intercept = mean_y - slope * mean_x
    chi2 = sum(w * (y - intercept - slope * x) ** 2 for w, (x, y, _) in zip(weights, points, strict=True))
    dispersion = max(1.0, chi2 / (len(points) - 2)) if len(points) > 2 else 1.0
    at = weeks_ahead
    variance = dispersion * (1 / sw + ((at - mean_x) ** 2 / sxx if sxx > 0 else 0.0))
    return slope, intercept + slope * at, math.sqrt(variance)


def _se(value: MetricValue) -> float:
    """A figure's standard error, from its 95% interval (half-width / 1.96; never zero, stats.py)."""
    if value.ci_low is None or value.ci_high is None:
        return 0.0
    return (value.ci_high - value.ci_low) / (2 * stats.Z95)
