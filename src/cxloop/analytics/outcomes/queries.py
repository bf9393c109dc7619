"""Read-side SQL of the outcome, operations and agent analyses: responses joined with customers, segments,
outcomes and events. Counts and sums are grouped in the database; only the operations and agent analyses read
(measure, score) pairs, one per linked event, for rank correlations and quantiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, and_, case, cast, distinct, func, null, or_, select, union_all
from sqlalchemy.orm import Session

from cxloop.collection.models import Response
from cxloop.customers.enums import OutcomeKind
from cxloop.customers.models import Customer, Event, Outcome, Segment, SegmentMember
from cxloop.surveys.scales import SCALES


@dataclass(frozen=True, slots=True)
class ScoreCount:
    """Customers of one scope (segment id, None = all) whose latest score was `score`: how many, how many churned
    in the window, and their revenue in the year before it."""

    segment_id: int | None
    score: int
    customers: int
    churned: int
    revenue: float
    lifetime_value: float  # the sum of their latest lifetime-value estimates dated up to the window's end


@dataclass(frozen=True, slots=True)
class ValueSums:
    """Lifetime values of customers of one scope whose latest score was `score`: n, sum and sum of squares."""

    segment_id: int | None
    score: int
    n: int
    total: float
    total_sq: float


@dataclass(frozen=True, slots=True)
class LinkedEvent:
    """One event and the first scored response of its customer after it (within the window, checked by callers)."""

    event_id: int
    occurred_at: datetime
    properties: dict[str, Any]
    submitted_at: datetime
    score: int


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _latest_scores(metric: str, *, since: datetime | None, before: datetime) -> Any:
    """(customer_id, score) of each customer's latest answer of `metric` in [since, before)."""
    score = getattr(Response, metric)
    ranked = select(
        Response.customer_id.label("customer_id"),
        score.label("score"),
        func.row_number()
        .over(partition_by=Response.customer_id, order_by=(Response.submitted_at.desc(), Response.id.desc()))
        .label("rank"),
    ).where(Response.customer_id.is_not(None), score.between(*SCALES[metric]), Response.submitted_at < before)
    if since is not None:
        ranked = ranked.where(Response.submitted_at >= since)
    inner = ranked.subquery("ranked")
    return select(inner.c.customer_id, inner.c.score).where(inner.c.rank == 1).subquery("latest")


def _churned(condition: Any) -> Any:
    """Customers with a churned outcome, their own or their account's, dated as `condition` says. Two uncorrelated
    IN lists: an OR inside a correlated EXISTS made SQLite scan the outcomes once per customer."""
    churn = (Outcome.kind == OutcomeKind.churned.value) & condition
    own = select(Outcome.customer_id).where(churn, Outcome.customer_id.is_not(None))
    accounts = select(Outcome.account_id).where(churn, Outcome.account_id.is_not(None))
    # The IS NOT NULL matters: NULL IN (...) is NULL, and NOT NULL would drop every customer without an account.
    return or_(Customer.id.in_(own), and_(Customer.account_id.is_not(None), Customer.account_id.in_(accounts)))


def _churned_between(first: date, last: date) -> Any:
    return _churned(Outcome.occurred_on.between(first, last))


def _churned_before(day: date) -> Any:
    return _churned(Outcome.occurred_on < day)


def churn_counts(
    session: Session,
    *,
    metric: str,
    score_since: datetime,
    window_start: date,
    window_end: date,
    revenue_since: date,
    segment_ids: Sequence[int] | None,
) -> list[ScoreCount]:
    """Per scope and latest score before the window: customers (leaving out those who churned before it), churned
    in the window, revenue outcomes dated revenue_since..window_start-1. `segment_ids` None: every segment and all
    customers (segment_id None); else those segments only."""
    before = datetime.combine(window_start, datetime.min.time(), UTC)
    latest = _latest_scores(metric, since=score_since, before=before)
    revenue = (
        select(Outcome.customer_id.label("customer_id"), func.sum(cast(Outcome.value, Float)).label("amount"))
        .where(
            Outcome.customer_id.is_not(None),
            Outcome.kind == OutcomeKind.revenue.value,
            Outcome.occurred_on >= revenue_since,
            Outcome.occurred_on < window_start,
        )
        .group_by(Outcome.customer_id)
        .subquery("revenue")
    )
    values = _latest_values(window_end)
    per_customer = (
        select(
            Customer.id.label("customer_id"),
            latest.c.score.label("score"),
            case((_churned_between(window_start, window_end), 1), else_=0).label("churned"),
            func.coalesce(revenue.c.amount, 0.0).label("revenue"),
            func.coalesce(values.c.value, 0.0).label("lifetime_value"),
        )
        .join(latest, latest.c.customer_id == Customer.id)
        .outerjoin(revenue, revenue.c.customer_id == Customer.id)
        .outerjoin(values, values.c.customer_id == Customer.id)
        .where(~_churned_before(window_start))
        .subquery("per_customer")
    )
    scope = _scopes(segment_ids)
    query = (
        select(
            scope.c.segment_id,
            per_customer.c.score,
            func.count(),
            func.sum(per_customer.c.churned),
            func.sum(per_customer.c.revenue),
            func.sum(per_customer.c.lifetime_value),
        )
        .join(scope, scope.c.customer_id == per_customer.c.customer_id)
        .group_by(scope.c.segment_id, per_customer.c.score)
    )
    return [
        ScoreCount(g, s, n, int(c or 0), float(r or 0), float(v or 0)) for g, s, n, c, r, v in session.execute(query)
    ]


def _scopes(segment_ids: Sequence[int] | None) -> Any:
    """(customer_id, segment_id): every customer with segment_id NULL ("all customers") and every membership, or
    only the memberships of `segment_ids`; joined once, so the latest scores are ranked once for all scopes."""
    members = select(SegmentMember.customer_id.label("customer_id"), SegmentMember.segment_id.label("segment_id"))
    if segment_ids is not None:
        return members.where(SegmentMember.segment_id.in_(segment_ids)).subquery("scopes")
    everyone = select(Customer.id.label("customer_id"), cast(null(), BigInteger).label("segment_id"))
    return union_all(everyone, members).subquery("scopes")


def _latest_values(until: date) -> Any:
    """(customer_id, value) of each customer's latest lifetime-value estimate dated up to `until`."""
    ranked = (
        select(
            Outcome.customer_id.label("customer_id"),
            cast(Outcome.value, Float).label("value"),
            func.row_number()
            .over(partition_by=Outcome.customer_id, order_by=(Outcome.occurred_on.desc(), Outcome.id.desc()))
            .label("rank"),
        )
        .where(
            Outcome.kind == OutcomeKind.lifetime_value.value,
            Outcome.customer_id.is_not(None),
            Outcome.value.is_not(None),
            Outcome.occurred_on <= until,
        )
        .subquery("ranked_values")
    )
    return select(ranked.c.customer_id, ranked.c.value).where(ranked.c.rank == 1).subquery("latest_values")


def lifetime_values(
    session: Session, *, metric: str, until: date, segment_ids: Sequence[int] | None
) -> list[ValueSums]:
    """Per scope and latest score (up to `until`): the sum and sum of squares of each customer's latest lifetime
    value estimate dated up to `until`."""
    latest = _latest_scores(metric, since=None, before=datetime.combine(until, datetime.max.time(), UTC))
    found = _latest_values(until)
    values = (
        select(found.c.customer_id, found.c.value, latest.c.score)
        .join(latest, latest.c.customer_id == found.c.customer_id)
        .subquery("values")
    )
    scope = _scopes(segment_ids)
    query = (
        select(
            scope.c.segment_id,
            values.c.score,
            func.count(),
            func.sum(values.c.value),
            func.sum(values.c.value * values.c.value),
        )
        .join(scope, scope.c.customer_id == values.c.customer_id)
        .group_by(scope.c.segment_id, values.c.score)
    )
    return [ValueSums(g, s, n, float(t or 0), float(q or 0)) for g, s, n, t, q in session.execute(query)]


def segment_names(session: Session) -> dict[int, tuple[str, str]]:
    """Segment id -> (key, name)."""
    return {i: (k, n) for i, k, n in session.execute(select(Segment.id, Segment.key, Segment.name))}


def churned_count(session: Session, *, first: date, last: date) -> int:
    """Customers with a churned outcome (their own or their account's) dated first..last."""
    return session.scalar(select(func.count(distinct(Customer.id))).where(_churned_between(first, last))) or 0


def event_names(session: Session) -> list[tuple[str, int]]:
    """Event names of identified customers and how many events each has."""
    query = (
        select(Event.name, func.count()).where(Event.customer_id.is_not(None)).group_by(Event.name).order_by(Event.name)
    )
    return [(name, count) for name, count in session.execute(query)]


def recent_properties(session: Session, *, name: str, limit: int) -> list[dict[str, Any]]:
    """The properties of the latest `limit` events of one name (to find which of them are numeric)."""
    query = select(Event.properties).where(Event.name == name).order_by(Event.occurred_at.desc()).limit(limit)
    return [dict(p or {}) for p in session.scalars(query)]


def linked_events(
    session: Session, *, metric: str, names: Sequence[str], touchpoint_id: int | None = None
) -> list[LinkedEvent]:
    """Every scored response with the customer's latest event of one of `names` at or before it; per event only
    the first response after it is kept (a later survey answers something else)."""
    score = getattr(Response, metric)
    latest_event = (
        select(Event.id)
        .where(
            Event.customer_id == Response.customer_id,
            Event.name.in_(names),
            Event.occurred_at <= Response.submitted_at,
        )
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(1)
        .correlate(Response)
        .scalar_subquery()
    )
    responses = select(
        Response.submitted_at.label("submitted_at"),
        score.label("score"),
        latest_event.label("event_id"),
    ).where(Response.customer_id.is_not(None), score.between(*SCALES[metric]))
    if touchpoint_id is not None:
        responses = responses.where(Response.touchpoint_id == touchpoint_id)
    linked: Any = responses.cte("linked")
    if session.get_bind().dialect.name == "sqlite":  # else SQLite inlines it and runs the event lookup twice
        linked = linked.prefix_with("MATERIALIZED")
    # The first response per event, chosen in SQL: only one row (and one properties document) per event leaves.
    first = (
        select(
            linked.c.event_id,
            linked.c.submitted_at,
            linked.c.score,
            func.row_number().over(partition_by=linked.c.event_id, order_by=linked.c.submitted_at).label("rank"),
        )
        .where(linked.c.event_id.is_not(None))
        .subquery("first")
    )
    query = (
        select(first.c.event_id, Event.occurred_at, Event.properties, first.c.submitted_at, first.c.score)
        .join(Event, Event.id == first.c.event_id)
        .where(first.c.rank == 1)
        .order_by(first.c.event_id)
    )
    return [
        LinkedEvent(event_id, _aware(occurred_at), dict(properties or {}), _aware(submitted_at), int(value))
        for event_id, occurred_at, properties, submitted_at, value in session.execute(query)
    ]


def events_of(session: Session, *, names: Sequence[str]) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(name, occurred_at, properties) of every identified customer's event of these names, oldest first."""
    query = (
        select(Event.name, Event.occurred_at, Event.properties)
        .where(Event.name.in_(names), Event.customer_id.is_not(None))
        .order_by(Event.occurred_at, Event.id)
    )
    return [(n, _aware(at), dict(p or {})) for n, at, p in session.execute(query)]
