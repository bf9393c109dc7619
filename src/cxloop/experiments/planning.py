"""Before an experiment: how many responses each variant needs, and how many days that takes; and the before/after
comparison around a change date (docs/experiments.md).

Sample size is the textbook normal approximation for comparing two means with equal spread: a treatment with share
w_t of customers against the control with share w_c is detected with `power` at two-sided `alpha` when the total N
satisfies N = (z_{1-alpha/2} + z_power)^2 * sd^2 * (1/w_c + 1/w_t) / mde^2; with two equal variants this is the
familiar n = 2 (z_a + z_b)^2 sd^2 / mde^2 per variant. With several treatments alpha is divided by their number
(the results' Bonferroni adjustment). `sd` is the spread of one customer's answer (the metric's standard error times
sqrt(n)) over the last BASELINE_DAYS days; with fewer answers than the metric's minimum n, the largest spread the
scale allows, which never under-plans. Days = N / the customers answering per day in that window.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from statistics import NormalDist

from sqlalchemy.orm import Session

from cxloop.analytics import comparisons, metrics
from cxloop.analytics import queries as analytics_queries
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.schemas import ComparisonRead, MetricValue
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.experiments import queries
from cxloop.experiments.results import midnight
from cxloop.experiments.schemas import MAX_VARIANTS, SamplePlan, VariantNeed

BASELINE_DAYS = 56
# The largest standard deviation of one answer on each scale: half at each end (NPS in points, CSAT in % points).
MAX_SD = {MetricKind.nps: 100.0, MetricKind.csat: 50.0, MetricKind.ces: 3.0}
MAX_MDE = {MetricKind.nps: 200.0, MetricKind.csat: 100.0, MetricKind.ces: 6.0}
MAX_WINDOW_DAYS = 366


def responses_needed(*, sd: float, mde: float, shares: list[float], alpha: float, power: float) -> list[int]:
    """Responses per variant (shares sum to 1, the first the control) so that every treatment - control difference
    of `mde` is found with `power` at two-sided `alpha` (divided by the number of treatments)."""
    treatments = len(shares) - 1
    z = NormalDist().inv_cdf(1 - alpha / treatments / 2) + NormalDist().inv_cdf(power)
    total = max((z * sd / mde) ** 2 * (1 / shares[0] + 1 / share) for share in shares[1:])
    return [math.ceil(total * share - 1e-9) for share in shares]


def parse_weights(text: str | None) -> list[float] | None:
    """ "50,50" -> [50.0, 50.0] (None when empty); InvalidInput names `weights` when a part is not a number."""
    if not text:
        return None
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise InvalidInput(
            "invalid weights", errors=[FieldError("weights", f"'{text}' is not comma-separated numbers (50,50)")]
        ) from None


def plan(
    session: Session,
    *,
    metric: str,
    mde: float,
    segment: str | None = None,
    weights: list[float] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    today: date | None = None,
) -> SamplePlan:
    """Responses per variant and days needed to detect `mde` (metric units: +5 NPS points is 5); InvalidInput names
    each bad field."""
    errors: list[FieldError] = []
    kind: MetricKind | None = None
    try:
        kind = MetricKind(metric.strip())
    except ValueError:
        errors.append(FieldError("metric", f"'{metric}' is not one of: {', '.join(k.value for k in MetricKind)}"))
    if not math.isfinite(mde) or mde <= 0 or (kind is not None and mde > MAX_MDE[kind]):
        errors.append(FieldError("mde", "the effect to detect must be above 0 and at most the scale's range"))
    if not 0 < alpha <= 0.5:
        errors.append(FieldError("alpha", "the significance level must be above 0 and at most 0.5"))
    if not 0.5 <= power < 1:
        errors.append(FieldError("power", "the power must be at least 0.5 and below 1"))
    weights = weights or [1.0, 1.0]
    if not 2 <= len(weights) <= MAX_VARIANTS or not all(math.isfinite(w) and w > 0 for w in weights):
        errors.append(FieldError("weights", f"give 2-{MAX_VARIANTS} positive weights, the control's first"))
    segment_id = None
    if segment is not None:
        segment_id = analytics_queries.segment_id(session, key=segment)
        if segment_id is None:
            errors.append(FieldError("segment", f"there is no segment '{segment}'"))
    if errors:
        raise InvalidInput("the sample-size plan has invalid fields", errors=errors)
    assert kind is not None
    today = today or utcnow().date()
    first = today - timedelta(days=BASELINE_DAYS)
    rows = queries.latest_scores(
        session, metric=kind.value, segment_id=segment_id, since=midnight(first), until=midnight(today)
    )
    definition = metrics.metric(kind)
    summary = definition.summarise(Counter(score for _, score in rows))
    baseline = MetricValue(**definition.fields(summary))
    estimate = definition.estimate(summary)
    if estimate is not None and not baseline.small_sample:
        sd = estimate.se * math.sqrt(estimate.n)
        source = f"from the last {BASELINE_DAYS} days (n = {baseline.n})"
    else:
        sd = MAX_SD[kind]
        source = f"the scale's largest, as only {baseline.n} customers answered in the last {BASELINE_DAYS} days"
    shares = [w / sum(weights) for w in weights]
    needed = responses_needed(sd=sd, mde=mde, shares=shares, alpha=alpha, power=power)
    keys = ["control", *(f"variant {i}" for i in range(1, len(weights)))]
    total = sum(needed)
    per_day = len(rows) / BASELINE_DAYS
    days = math.ceil(total / per_day) if per_day > 0 else None
    who = f" of segment {segment}" if segment else ""
    wait = (
        f"at the recent {per_day:.1f} customers{who} answering a day that takes about {days} days"
        if days is not None
        else f"no customer{who} answered in the last {BASELINE_DAYS} days, so the duration cannot be estimated"
    )
    explanation = (
        f"To detect {mde:g} {kind.value.upper()} {'points' if kind is not MetricKind.ces else 'on 1-7'} with "
        f"{power:.0%} power at alpha {alpha:g}, the variants need {', '.join(str(n) for n in needed)} responses "
        f"({total} in all, each customer once; spread {sd:.1f}, {source}); {wait}."
    )
    return SamplePlan(
        metric=kind,
        segment=segment,
        mde=mde,
        alpha=alpha,
        power=power,
        baseline_days=BASELINE_DAYS,
        baseline=baseline,
        sd=sd,
        sd_source=source,
        variants=[VariantNeed(key=k, weight=w, responses=n) for k, w, n in zip(keys, weights, needed, strict=True)],
        total_responses=total,
        responses_per_day=per_day,
        days=days,
        explanation=explanation,
    )


def before_after(
    session: Session, *, metric: str, change_date: str, days: int = 28, segment: str | None = None, tz: str = "UTC"
) -> ComparisonRead:
    """The metric in the `days` days from `change_date` on (a) against the `days` days before it (b), with the
    difference, its 95% interval, p-value and verdict (analytics.comparisons)."""
    errors = []
    try:
        changed = date.fromisoformat(change_date.strip())
    except ValueError:
        errors.append(FieldError("change_date", f"'{change_date}' is not a date (2026-03-01)"))
    if not 1 <= days <= MAX_WINDOW_DAYS:
        errors.append(FieldError("days", f"the window must be 1-{MAX_WINDOW_DAYS} days"))
    if errors:
        raise InvalidInput("the before/after comparison has invalid fields", errors=errors)
    after = {"segment": segment, "start": changed.isoformat(), "end": (changed + timedelta(days - 1)).isoformat()}
    before = {"start": (changed - timedelta(days)).isoformat(), "end": (changed - timedelta(1)).isoformat()}
    return comparisons.compare(session, metric=metric, a=after, b=before, tz=tz)
