"""The read side of the churn model: one snapshot of every customer's features as of an instant, and whether they
churned in the horizon after it. Reads the customers' and collection's tables (a higher domain's queries module may
join lower domains' tables: pyproject.toml contracts); comment sentiment comes from text's queries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Select, SQLColumnExpression, and_, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.churn.features import HELPDESK_EVENTS, IDLE_CAP_DAYS, NAMES, RECENT_DAYS
from cxloop.churn.models import ChurnScore
from cxloop.collection.models import Response
from cxloop.customers.enums import OutcomeKind
from cxloop.customers.models import Account, Customer, Event, Outcome
from cxloop.text import queries as text_queries

COLUMN = {name: i for i, name in enumerate(NAMES)}


@dataclass(frozen=True)
class Snapshot:
    """Customers still with us at `at` (signed up before it, not churned by then): their features (NaN where
    missing) and, when a horizon was given, 1 for those who churned within it."""

    at: datetime
    customer_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray | None


def churn_dates(session: Session) -> dict[int, date]:
    """Each churned customer's first churn date: their own churn outcome, or their account's."""
    own = session.execute(
        select(Outcome.customer_id, func.min(Outcome.occurred_on))
        .where(Outcome.kind == OutcomeKind.churned.value, Outcome.customer_id.is_not(None))
        .group_by(Outcome.customer_id)
    )
    dates: dict[int, date] = {int(c or 0): d for c, d in own}  # customer_id IS NOT NULL
    by_account = (
        select(Outcome.account_id, func.min(Outcome.occurred_on).label("day"))
        .where(
            Outcome.kind == OutcomeKind.churned.value,
            Outcome.customer_id.is_(None),
            Outcome.account_id.is_not(None),
        )
        .group_by(Outcome.account_id)
        .subquery()
    )
    for customer_id, day in session.execute(
        select(Customer.id, by_account.c.day).join(by_account, by_account.c.account_id == Customer.account_id)
    ):
        dates[int(customer_id)] = min(day, dates.get(int(customer_id), day))
    return dates


def _arr_log_at(arr: Any, account_changed: datetime | None, at: datetime) -> float:
    """The account's ARR (log) as it was at `at`: only an account unchanged since then is known to have had today's
    value (cxloop keeps no history of it); unknown (NaN, imputed with the median) otherwise, so a training snapshot
    never reads an ARR written after it, such as one set to 0 when the customer left. No account: 0."""
    if account_changed is None:
        return 0.0
    if account_changed > at:
        return math.nan
    return math.log1p(max(float(arr), 0.0)) if arr is not None else 0.0


def snapshot(session: Session, *, at: datetime, horizon_days: int | None, churned: dict[int, date]) -> Snapshot:
    """The features of every customer with us at `at`, from data before `at` only; labels when `horizon_days`."""
    day = at.date()
    rows = session.execute(
        select(Customer.id, Customer.signup_date, Account.arr, Account.updated_at)
        .outerjoin(Account, Account.id == Customer.account_id)
        .where((Customer.signup_date.is_(None)) | (Customer.signup_date < day))
        .order_by(Customer.id)
    ).all()
    rows = [r for r in rows if not (r[0] in churned and churned[r[0]] <= day)]
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    index = {int(c): i for i, c in enumerate(ids)}
    x = np.zeros((len(ids), len(NAMES)))
    for i, (_, signup, arr, account_changed) in enumerate(rows):
        x[i, COLUMN["tenure_days"]] = (day - signup).days if signup is not None else math.nan
        x[i, COLUMN["arr_log"]] = _arr_log_at(arr, account_changed, at)
    _add_answers(session, at, index, x)
    _add_events(session, at, index, x)
    for customer_id, (negative, analysed) in text_queries.comment_sentiment_by_customer(session, before=at).items():
        if customer_id in index:
            x[index[customer_id], COLUMN["negative_share"]] = negative / analysed
    y = None
    if horizon_days is not None:
        end = day + timedelta(days=horizon_days)
        y = np.array([1 if day < churned.get(int(c), date.max) <= end else 0 for c in ids], dtype=np.int8)
    return Snapshot(at, ids, x, y)


def _add_answers(session: Session, at: datetime, index: dict[int, int], x: np.ndarray) -> None:
    """Latest NPS / CSAT / CES, the NPS trend and recent detractor answers, from complete responses before `at`."""
    recent = at - timedelta(days=RECENT_DAYS)
    x[:, COLUMN["nps_last"]] = math.nan
    x[:, COLUMN["csat_last"]] = math.nan
    x[:, COLUMN["ces_last"]] = math.nan
    x[:, COLUMN["no_nps"]] = 1.0
    nps_sum: dict[int, tuple[int, int]] = {}  # row -> (sum, count) of the answers before the latest
    complete = and_(Response.customer_id.is_not(None), Response.is_partial.is_(False), Response.submitted_at < at)
    rows = session.connection().execute(  # Core rows: no ORM bookkeeping over every response
        select(Response.customer_id, Response.nps, Response.csat, Response.ces)
        .where(complete)
        .order_by(Response.customer_id, Response.submitted_at, Response.id)
    )
    for customer_id, nps, csat, ces in rows:
        i = index.get(customer_id or 0)
        if i is None:
            continue
        if nps is not None:
            previous = x[i, COLUMN["nps_last"]]
            if not math.isnan(previous):
                total, n = nps_sum.get(i, (0, 0))
                nps_sum[i] = (total + int(previous), n + 1)
            x[i, COLUMN["nps_last"]] = nps
            x[i, COLUMN["no_nps"]] = 0.0
        if csat is not None:
            x[i, COLUMN["csat_last"]] = csat
        if ces is not None:
            x[i, COLUMN["ces_last"]] = ces
    detractors = session.execute(
        select(Response.customer_id, func.count())
        .where(complete, Response.submitted_at >= recent, Response.nps <= 6)
        .group_by(Response.customer_id)
    )
    for customer_id, count in detractors:
        i = index.get(customer_id or 0)
        if i is not None:
            x[i, COLUMN["detractors_recent"]] = count
    for i, (total, n) in nps_sum.items():
        x[i, COLUMN["nps_trend"]] = x[i, COLUMN["nps_last"]] - total / n


def _add_events(session: Session, at: datetime, index: dict[int, int], x: np.ndarray) -> None:
    """Product use (recent events, days since the last) and support load (tickets, reopens) before `at`."""
    recent = at - timedelta(days=RECENT_DAYS)
    x[:, COLUMN["days_idle"]] = IDLE_CAP_DAYS
    before = and_(Event.customer_id.is_not(None), Event.occurred_at < at)
    product = session.connection().execute(
        select(
            Event.customer_id, func.sum(case((Event.occurred_at >= recent, 1), else_=0)), func.max(Event.occurred_at)
        )
        # older events change nothing: days_idle is capped at IDLE_CAP_DAYS
        .where(before, Event.occurred_at >= at - timedelta(days=IDLE_CAP_DAYS), Event.name.not_in(HELPDESK_EVENTS))
        .group_by(Event.customer_id)
    )
    for customer_id, count, last in product:
        i = index.get(customer_id)
        if i is not None:
            x[i, COLUMN["events_recent"]] = count or 0
            idle = (at - _aware(last)).total_seconds() / 86_400 if last is not None else IDLE_CAP_DAYS
            x[i, COLUMN["days_idle"]] = min(idle, IDLE_CAP_DAYS)
    tickets = session.connection().execute(
        select(
            Event.customer_id,
            func.sum(case((Event.name == "ticket_created", 1), else_=0)),
            func.sum(case((Event.name == "ticket_solved", Event.properties["reopens"].as_integer()), else_=0)),
        )
        .where(before, Event.occurred_at >= recent, Event.name.in_(("ticket_created", "ticket_solved")))
        .group_by(Event.customer_id)
    )
    for customer_id, count, reopens in tickets:
        i = index.get(customer_id)
        if i is not None:
            x[i, COLUMN["tickets_recent"]] = count or 0
            x[i, COLUMN["reopens_recent"]] = reopens or 0


def _aware(value: datetime | str) -> datetime:
    """func.max over a UTC column comes back as naive text on SQLite."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _scored() -> Select[Any]:
    return select(
        ChurnScore.customer_id,
        Customer.external_id,
        Customer.name,
        ChurnScore.probability,
        ChurnScore.top_factors,
        ChurnScore.scored_at,
    ).join(Customer, Customer.id == ChurnScore.customer_id)


def scored_customers(session: Session, *, min_probability: float, limit: int, offset: int) -> tuple[list[Any], int]:
    """One page of stored scores with each customer's external id and name, highest probability first; and the
    number at or above `min_probability`."""
    chosen = ChurnScore.probability >= min_probability
    total = int(session.scalar(select(func.count()).select_from(ChurnScore).where(chosen)) or 0)
    rows = session.execute(
        _scored()
        .where(chosen)
        .order_by(ChurnScore.probability.desc(), ChurnScore.customer_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def scored_customer(session: Session, *, customer_id: int) -> Any | None:
    """One customer's stored score, as a row of `scored_customers`; None when they have none."""
    return session.execute(_scored().where(ChurnScore.customer_id == customer_id)).first()


def existing_customers(session: Session, *, ids: list[int]) -> set[int]:
    """Those of `ids` that are still customers (in chunks: an IN list stays small)."""
    found: set[int] = set()
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        found.update(session.scalars(select(Customer.id).where(Customer.id.in_(chunk))))
    return found


def churn_risk_of(customer_id: SQLColumnExpression[int]) -> ColumnElement[float]:
    """The stored churn probability of the customer `customer_id` names (NULL without a score), for the segment filter
    language's `churn_risk` (provided to customers/scores.py by cxloop.wiring)."""
    return select(ChurnScore.probability).where(ChurnScore.customer_id == customer_id).scalar_subquery()
