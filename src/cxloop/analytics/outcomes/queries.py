"""Read-side SQL of the outcome, operations and agent analyses: responses joined with customers, segments,
outcomes and events. Counts and sums are grouped in the database; the operations and agent analyses read the events
(with the few properties they need) and the scored answers into numpy and link them there."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Float,
    String,
    Text,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from cxloop.collection.models import Response
from cxloop.customers.enums import OutcomeKind
from cxloop.customers.models import Customer, Event, Outcome, Segment, SegmentMember
from cxloop.surveys.scales import SCALES

Ints = npt.NDArray[np.int64]
T = TypeVar("T")


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


def _latest_score(metric: str, *, since: datetime | None, before: datetime) -> Any:
    """The customer's latest answer of `metric` in [since, before), as a scalar subquery correlated to Customer: one
    backward step down ix_responses_customer_submitted per customer, where ranking every response in the period
    (a window function) sorted them all: 2 s against 0.13 s of CPU at 1M responses on SQLite."""
    score = getattr(Response, metric)
    query = select(score).where(
        Response.customer_id == Customer.id, score.between(*SCALES[metric]), Response.submitted_at < before
    )
    if since is not None:
        query = query.where(Response.submitted_at >= since)
    order = (Response.submitted_at.desc(), Response.id.desc())
    return query.order_by(*order).limit(1).correlate(Customer).scalar_subquery()


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


Scopes = dict[int, list[int | None]]  # customer id -> the scopes it counts in (None: all customers)


def scopes(session: Session, segment_ids: Sequence[int] | None) -> Scopes:
    """Customer id -> the scopes it counts in: None ("all customers") for every customer and each segment it is a
    member of, when `segment_ids` is None; else only those of `segment_ids` it is a member of. Counting scopes in
    Python keeps the databases from joining every customer with every membership (SQLite chose nested loops)."""
    members = select(SegmentMember.customer_id, SegmentMember.segment_id)
    found: Scopes = defaultdict(list)
    connection = session.connection()
    if segment_ids is None:
        found.update((row[0], [None]) for row in connection.execute(select(Customer.id)))
    else:
        members = members.where(SegmentMember.segment_id.in_(segment_ids))
    for customer_id, segment_id in connection.execute(members):
        found[customer_id].append(segment_id)
    return found


def latest_values(session: Session, *, until: date) -> dict[int, float]:
    """Customer id -> their latest lifetime-value estimate dated up to `until`: read in date order (then id), so the
    last one read per customer is the latest."""
    query = (
        select(Outcome.customer_id, cast(Outcome.value, Float))
        .where(
            Outcome.kind == OutcomeKind.lifetime_value.value,
            Outcome.customer_id.is_not(None),
            Outcome.value.is_not(None),
            Outcome.occurred_on <= until,
        )
        .order_by(Outcome.occurred_on, Outcome.id)
    )
    return {row[0]: row[1] for row in session.connection().execute(query)}


def churn_counts(
    session: Session,
    *,
    metric: str,
    score_since: datetime,
    window_start: date,
    window_end: date,
    revenue_since: date,
    scopes: Scopes,
    values: dict[int, float],
) -> list[ScoreCount]:
    """Per scope and latest score before the window: customers (leaving out those who churned before it), churned
    in the window, revenue outcomes dated revenue_since..window_start-1, and the sum of their `values` (latest
    lifetime values, latest_values up to window_end)."""
    before = datetime.combine(window_start, datetime.min.time(), UTC)
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
    query = (
        select(
            Customer.id,
            _latest_score(metric, since=score_since, before=before),
            case((_churned_between(window_start, window_end), 1), else_=0),
            func.coalesce(revenue.c.amount, 0.0),
        )
        .outerjoin(revenue, revenue.c.customer_id == Customer.id)
        .where(~_churned_before(window_start))
    )
    totals: dict[tuple[int | None, int], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for customer_id, score, churned, amount in session.connection().execute(query):
        if score is None:  # no answer in the year before the window
            continue
        for scope in scopes.get(customer_id, ()):
            total = totals[(scope, int(score))]
            total[0] += 1
            total[1] += churned
            total[2] += float(amount)
            total[3] += values.get(customer_id, 0.0)
    return [ScoreCount(g, s, int(n), int(c), r, v) for (g, s), (n, c, r, v) in totals.items()]


def lifetime_values(
    session: Session, *, metric: str, until: date, scopes: Scopes, values: dict[int, float]
) -> list[ValueSums]:
    """Per scope and latest score (up to `until`): the sum and sum of squares of each customer's `values` (latest
    lifetime value estimates, latest_values up to `until`)."""
    latest = _latest_score(metric, since=None, before=datetime.combine(until, datetime.max.time(), UTC))
    totals: dict[tuple[int | None, int], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for customer_id, score in session.connection().execute(select(Customer.id, latest)):
        value = values.get(customer_id)
        if score is None or value is None:
            continue
        for scope in scopes.get(customer_id, ()):
            total = totals[(scope, int(score))]
            total[0] += 1
            total[1] += value
            total[2] += value * value
    return [ValueSums(g, s, int(n), t, q) for (g, s), (n, t, q) in totals.items()]


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


@dataclass(frozen=True, slots=True)
class Property:
    """One property across events, factorised: event i's value is `values[codes[i]]` as JSON decodes it (None when
    absent). Agents, teams and measures repeat, so each distinct value is decoded and judged once."""

    codes: Ints
    values: list[Any]

    def mapped(self, fn: Callable[[Any], T]) -> list[T]:
        """fn of each event's value, calling fn once per distinct value."""
        table = [fn(value) for value in self.values]
        return [table[code] for code in self.codes.tolist()]


@dataclass(frozen=True, slots=True)
class EventRows:
    """Identified customers' events of some names, in no order, with the properties asked for by name."""

    ids: Ints
    customers: Ints
    micros: Ints  # occurred_at, microseconds since the epoch
    values: dict[str, Property]

    def __len__(self) -> int:
        return len(self.ids)

    def oldest_first(self) -> list[int]:
        """Positions by occurred_at, then id."""
        return list(np.lexsort((self.ids, self.micros)).tolist())


def events_with(session: Session, *, names: Sequence[str], keys: Sequence[str]) -> EventRows:
    """The events of `names` with only the properties `keys`, each taken out of the document in SQL: decoding every
    whole document in Python was most of the agents analysis (300,000 tickets, then again per linked answer). No
    ORDER BY: SQLite then walked the name index with a table lookup per event, three times the CPU of a scan."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    query = select(
        Event.id, Event.customer_id, _micros(Event.occurred_at, sqlite), *(_property(key, sqlite) for key in keys)
    ).where(Event.name.in_(names), Event.customer_id.is_not(None))
    fields = [("id", np.int64), ("customer", np.int64), ("at", _instant_type(sqlite))]
    found = _records(session, query, fields + [(f"p{i}", object) for i in range(len(keys))])
    return EventRows(
        found["id"],
        found["customer"],
        found["at"].astype(np.int64),
        {key: _factorised(found[f"p{i}"].tolist()) for i, key in enumerate(keys)},
    )


def first_answers(
    session: Session,
    *,
    metrics: Sequence[str],
    events: EventRows,
    window: timedelta,
    touchpoint_id: int | None = None,
) -> dict[str, tuple[Ints, Ints]]:
    """Per metric: each event of `events` with the first answer of that metric by its customer at or after it and
    before the customer's next event (equal times: the event first, then the lower id), when at most `window`
    later, as (positions in `events`, scores) in event id order. A later answer answers something else.

    The answers are read once for every metric and merged with the events in numpy: one order by customer and
    time, where an event's first answer is the row right after it. This replaces a correlated lookup of each
    answer's latest event (7 s of SQL at 1M answers on SQLite). The answers of customers without events are dropped
    in numpy: an IN list in SQL made SQLite walk the customer index and sort (2.6 s against 0.7 s for reading all
    200,000)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    scores = [getattr(Response, metric) for metric in metrics]
    query = select(Response.customer_id, _micros(Response.submitted_at, sqlite), Response.id, *scores).where(
        Response.customer_id.is_not(None),
        or_(*(score.between(*SCALES[metric]) for score, metric in zip(scores, metrics, strict=True))),
    )
    if touchpoint_id is not None:
        query = query.where(Response.touchpoint_id == touchpoint_id)
    fields = [("customer", np.int64), ("at", _instant_type(sqlite)), ("id", np.int64)]
    found = _records(session, query, fields + [(f"s{i}", np.float64) for i in range(len(metrics))])  # NULL: NaN
    found = found[np.isin(found["customer"], events.customers)]
    answers = _Answers(found["customer"], found["at"].astype(np.int64), found["id"])
    linked: dict[str, tuple[Ints, Ints]] = {}
    for i, metric in enumerate(metrics):
        low, high = SCALES[metric]
        score = found[f"s{i}"]
        given = (score >= low) & (score <= high)
        linked[metric] = _merge(events, answers.where(given), score[given].astype(np.int64), window)
    return linked


@dataclass(frozen=True, slots=True)
class _Answers:
    customers: Ints
    micros: Ints
    ids: Ints

    def where(self, mask: npt.NDArray[np.bool_]) -> _Answers:
        return _Answers(self.customers[mask], self.micros[mask], self.ids[mask])


def _merge(events: EventRows, answers: _Answers, scores: Ints, window: timedelta) -> tuple[Ints, Ints]:
    customer = np.concatenate([events.customers, answers.customers])
    at = np.concatenate([events.micros, answers.micros])
    is_answer = np.concatenate([np.zeros(len(events), dtype=np.int8), np.ones(len(answers.ids), dtype=np.int8)])
    tie = np.concatenate([events.ids, answers.ids])
    order = np.lexsort((tie, is_answer, at, customer))
    this, following = order[:-1], order[1:]
    linked = (
        (is_answer[this] == 0)
        & (is_answer[following] == 1)
        & (customer[this] == customer[following])
        & (at[following] - at[this] <= window // timedelta(microseconds=1))
    )
    positions = this[linked]
    by_id = np.argsort(events.ids[positions], kind="stable")
    return positions[by_id], scores[following[linked] - len(events)][by_id]


def _micros(column: Any, sqlite: bool) -> Any:
    """An instant column as numpy reads it fast: SQLite's text as stored (naive UTC with microseconds, which numpy
    parses), PostgreSQL's microseconds since the epoch (exact: EXTRACT gives a numeric)."""
    if sqlite:
        return type_coerce(column, String)
    return cast(func.extract("epoch", column) * 1_000_000, BigInteger)


def _instant_type(sqlite: bool) -> Any:
    return "datetime64[us]" if sqlite else np.int64


def _property(key: str, sqlite: bool) -> Any:
    """One property of Event.properties as JSON text (a string keeps its quotes, true stays true), or NULL."""
    if sqlite:  # SQLite paths cannot name keys with a quote or backslash: numeric_properties leaves those out
        return type_coerce(Event.properties, String).op("->", return_type=String)(f'$."{key}"')
    return cast(Event.properties.op("->", return_type=JSONB)(literal(key, String)), Text)


def _factorised(texts: list[str | None]) -> Property:
    """JSON texts (NULL: absent) as a Property; distinct texts stay distinct (true is not 1, 1.0 is not 1)."""
    index: dict[str | None, int] = {None: 0}
    codes = [index.setdefault(text, len(index)) for text in texts]
    return Property(np.array(codes, dtype=np.int64), [None if t is None else json.loads(t) for t in index])


def _records(session: Session, query: Any, fields: list[tuple[str, Any]]) -> Any:
    """The rows as a numpy record array built straight from the driver's tuples: turning rows into columns and then
    arrays took four times as long at 1M rows."""
    result = session.connection().execute(query)
    try:
        return np.array(result.cursor.fetchall(), dtype=fields)
    finally:
        result.close()
