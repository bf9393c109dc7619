"""Churn, revenue at risk and lifetime value by score band: does how customers feel show in what they do?

Each customer's band is that of their latest answer of the metric in the year before the outcome window (customers
who churned before the window are left out); churn is a churned outcome of the customer or of their account dated
inside the window. The worst band's churn rate is compared with the best band's as a risk ratio (Katz interval);
the same comparison runs in every segment, and the findings are the scopes whose ratio stays significant after
Benjamini-Hochberg at 5% across all of them, so nothing is reported that the data does not show.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from cxloop.analytics import metrics, significance, stats
from cxloop.analytics import queries as analytics_queries
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.outcomes import bands, effects, queries
from cxloop.analytics.outcomes.schemas import (
    BandChurn,
    ChurnByBand,
    MoneyMean,
    OutcomeAnalysis,
    Rate,
    RatioRead,
    RevenueAtRisk,
    ValueByBand,
)
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput

DEFAULT_WINDOW_DAYS = 180
SCORE_LOOKBACK_DAYS = 365  # a score older than this before the window says little about the customer today
MIN_CHURNED = 10  # below this many churned customers no churn rate by band is read
ALL = "all customers"


def parse_metric(text: str, *, allowed: tuple[MetricKind, ...] = tuple(bands.BANDS)) -> MetricKind:
    try:
        kind = MetricKind(text.strip().lower())
    except ValueError:
        kind = None
    if kind is None or kind not in allowed:
        options = ", ".join(k.value for k in allowed)
        raise InvalidInput("unknown metric", errors=[FieldError("metric", f"'{text}' is not one of: {options}")])
    return kind


def segment_ids(session: Session, key: str | None) -> list[int] | None:
    """The id of segment `key` as a list (None: every segment); InvalidInput naming `segment` when unknown."""
    if key is None:
        return None
    found = analytics_queries.segment_id(session, key=key)
    if found is None:
        raise InvalidInput(
            "a filter names something that does not exist",
            errors=[FieldError("segment", f"there is no segment '{key}'")],
        )
    return [found]


def analyse(
    session: Session,
    *,
    metric: str = "nps",
    segment: str | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    end: date | None = None,
) -> OutcomeAnalysis:
    """Churn by band in the `window_days` ending `end` (today), revenue at risk and lifetime value by band, overall
    and per segment (`segment`: that one only)."""
    kind = parse_metric(metric)
    if not 7 <= window_days <= 3650:
        raise InvalidInput("window out of range", errors=[FieldError("window_days", "must be 7-3650 days")])
    chosen = segment_ids(session, segment)
    window_end = end or utcnow().date()
    window_start = window_end - timedelta(days=window_days - 1)
    score_since = window_start - timedelta(days=SCORE_LOOKBACK_DAYS)
    minimum = metrics.min_n(kind)
    counted_in = queries.scopes(session, chosen)
    values = queries.latest_values(session, until=window_end)
    counts = queries.churn_counts(
        session,
        metric=kind.value,
        score_since=datetime.combine(score_since, datetime.min.time(), UTC),
        window_start=window_start,
        window_end=window_end,
        revenue_since=score_since,
        scopes=counted_in,
        values=values,
    )
    names = queries.segment_names(session)
    scopes = _by_scope(counts)
    main_scope = chosen[0] if chosen else None
    main = scopes.get(main_scope, {})
    customers = sum(n for n, _, _, _ in main.values())
    churned = sum(c for _, c, _, _ in main.values())
    result = OutcomeAnalysis(
        metric=kind,
        window_start=window_start,
        window_end=window_end,
        score_since=score_since,
        ready=False,
        explanation="",
        min_n=minimum,
        customers=customers,
        churned=churned,
        churn=[],
        revenue_at_risk=None,
        lifetime_value=_lifetime_values(session, kind, window_end, (counted_in, values), names),
        findings=[],
    )
    worst, best = bands.worst(kind), bands.best(kind)
    scope_name = names[main_scope][1] if main_scope is not None else ALL
    if churned < MIN_CHURNED:
        everywhere = queries.churned_count(session, first=window_start, last=window_end)
        result.explanation = (
            f"Too few churned customers to read churn by {kind.value.upper()} band: {churned} of {customers} "
            f"customers of {scope_name} with a score before {window_start.isoformat()} churned between "
            f"{window_start.isoformat()} and {window_end.isoformat()} ({everywhere} churned customers in all); at "
            f"least {MIN_CHURNED} are needed, and {minimum} scored customers in both the {worst.key} and "
            f"{best.key} bands. Record churn with POST /api/v1/outcomes or a longer --window-days."
        )
        return result
    rows = [_churn_by_band(kind, key, names, by_score, minimum) for key, by_score in scopes.items()]
    tested = [row for row in rows if row.ratio is not None]
    for row, q in zip(
        tested, significance.benjamini_hochberg([r.ratio.p_value for r in tested if r.ratio]), strict=True
    ):
        row.q_value = q
        assert row.ratio is not None
        row.ratio.significant = q <= significance.FDR_Q
    rows.sort(key=lambda r: (r.scope_key is not None, r.scope))
    result.churn = rows
    result.ready = True
    main_row = next(r for r in rows if r.scope_key == (names[main_scope][0] if main_scope is not None else None))
    result.revenue_at_risk = _revenue_at_risk(kind, main_row)
    result.findings = [_finding(kind, row) for row in rows if row.ratio is not None and row.ratio.significant]
    result.explanation = main_row.explanation
    return result


def _by_scope(counts: list[queries.ScoreCount]) -> dict[int | None, dict[int, tuple[int, int, float, float]]]:
    scopes: dict[int | None, dict[int, tuple[int, int, float, float]]] = defaultdict(dict)
    for row in counts:
        scopes[row.segment_id][row.score] = (row.customers, row.churned, row.revenue, row.lifetime_value)
    return scopes


def _rate(events: int, n: int, minimum: int) -> Rate:
    interval = stats.wilson_interval(events, n)
    return Rate(
        n=n,
        events=events,
        pct=events / n * 100 if n else None,
        ci_low=interval[0] if interval else None,
        ci_high=interval[1] if interval else None,
        small_sample=n < minimum,
    )


def _churn_by_band(
    kind: MetricKind,
    segment_id: int | None,
    names: dict[int, tuple[str, str]],
    by_score: dict[int, tuple[int, int, float, float]],
    minimum: int,
) -> ChurnByBand:
    scope_key, scope = names.get(segment_id, (None, ALL)) if segment_id is not None else (None, ALL)
    totals: dict[str, list[float]] = {band.key: [0, 0, 0.0, 0.0] for band in bands.BANDS[kind]}
    for score, counted in by_score.items():
        total = totals[bands.band_of(kind, score)]
        for i, amount in enumerate(counted):
            total[i] += amount
    rows = [
        BandChurn(band=k, churn=_rate(int(v[1]), int(v[0]), minimum), revenue=v[2], lifetime_value=v[3])
        for k, v in totals.items()
    ]
    worst, best = rows[0], rows[-1]
    worst_people, best_people = bands.worst(kind).people, bands.best(kind).people
    result = ChurnByBand(scope=scope, scope_key=scope_key, bands=rows, ratio=None, explanation="")
    short = [r for r in (worst, best) if r.churn.n < minimum]
    if short:
        words = " and ".join(f"{r.churn.n} in band {r.band}" for r in short)
        result.explanation = (
            f"{scope}: too few to compare churn of {worst_people} and {best_people} ({words}; each band needs at "
            f"least {minimum} scored customers)."
        )
        return result
    ratio = effects.risk_ratio(worst.churn.events, worst.churn.n, best.churn.events, best.churn.n)
    result.ratio = RatioRead(
        value=ratio.value,
        ci_low=ratio.ci_low,
        ci_high=ratio.ci_high,
        p_value=ratio.p_value,
        significant=ratio.ci_low > 1 or ratio.ci_high < 1,
    )
    result.explanation = (
        f"{scope}: {worst_people} churned at {worst.churn.pct:.1f}% (n = {worst.churn.n}), {best_people} at "
        f"{best.churn.pct:.1f}% (n = {best.churn.n}): {ratio.value:.2f}x (95% interval {ratio.ci_low:.2f}.."
        f"{ratio.ci_high:.2f}, p {effects.p_words(ratio.p_value)})."
    )
    return result


def _finding(kind: MetricKind, row: ChurnByBand) -> str:
    assert row.ratio is not None
    worst, best = row.bands[0], row.bands[-1]
    more = "more" if row.ratio.value > 1 else "less"
    return (
        f"In {row.scope}, {kind.value.upper()} {bands.worst(kind).people} churn {row.ratio.value:.1f}x as often as "
        f"{bands.best(kind).people} "
        f"({worst.churn.pct:.1f}% vs {best.churn.pct:.1f}%, n = {worst.churn.n} and {best.churn.n}; 95% interval "
        f"{row.ratio.ci_low:.1f}..{row.ratio.ci_high:.1f}x, q {effects.p_words(row.q_value or 0)}): they churn {more}."
    )


def _revenue_at_risk(kind: MetricKind, row: ChurnByBand) -> RevenueAtRisk:
    """On revenue when any scored customer has some in the year before the window, else on lifetime value."""
    worst, best = row.bands[0], row.bands[-1]
    basis = "revenue" if any(band.revenue for band in row.bands) else "lifetime_value"
    amount = worst.revenue if basis == "revenue" else worst.lifetime_value
    risk = RevenueAtRisk(band=worst.band, customers=worst.churn.n, basis=basis, revenue=amount)
    if not any(band.revenue or band.lifetime_value for band in row.bands):
        risk.basis = None
        risk.explanation = (
            "No revenue or lifetime value is recorded for these customers: record `revenue` or `lifetime_value` "
            "outcomes (POST /api/v1/outcomes) to put an amount on the churn."
        )
        return risk
    rate, low, high = worst.churn.pct, worst.churn.ci_low, worst.churn.ci_high
    risk.at_risk = None if rate is None else amount * rate / 100
    risk.at_risk_low = None if low is None else amount * low / 100
    risk.at_risk_high = None if high is None else amount * high / 100
    if rate is not None and best.churn.pct is not None:
        risk.excess_over_best = amount * max(rate - best.churn.pct, 0.0) / 100
    what = "revenue in the year before the window" if basis == "revenue" else "latest lifetime value estimates"
    risk.explanation = (
        f"{worst.churn.n} {bands.worst(kind).people} hold {amount:,.0f} of {what}; at their churn rate "
        f"{risk.at_risk or 0:,.0f} of it is at risk, {risk.excess_over_best or 0:,.0f} more than at the "
        f"{best.band} band's rate."
    )
    return risk


def _lifetime_values(
    session: Session,
    kind: MetricKind,
    until: date,
    read: tuple[queries.Scopes, dict[int, float]],
    names: dict[int, tuple[str, str]],
) -> list[ValueByBand]:
    sums: dict[tuple[int | None, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    scopes, values = read
    for row in queries.lifetime_values(session, metric=kind.value, until=until, scopes=scopes, values=values):
        sum_row = sums[(row.segment_id, bands.band_of(kind, row.score))]
        sum_row[0] += row.n
        sum_row[1] += row.total
        sum_row[2] += row.total_sq
    minimum = metrics.min_n(kind)
    order = {band.key: i for i, band in enumerate(bands.BANDS[kind])}
    found: list[ValueByBand] = []
    for (segment_id, band), (n, amount, amount_sq) in sums.items():
        mean, low, high = effects.mean_interval(int(n), amount, amount_sq)
        key, scope = names[segment_id] if segment_id is not None else (None, ALL)
        money = MoneyMean(n=int(n), mean=mean, ci_low=low, ci_high=high, total=amount, small_sample=n < minimum)
        found.append(ValueByBand(scope=scope, scope_key=key, band=band, value=money))
    found.sort(key=lambda v: (v.scope_key is not None, v.scope, order[v.band]))
    return found
