"""The facts a rule is evaluated on, read in one query per batch: the item's own fields, its customer's stage and
account (tier, ARR) and churn risk; for an anomaly, what the scan stored about it. The read side may join lower
domains' tables (pyproject.toml import contracts)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cxloop.alerts.fields import Source
from cxloop.analytics.models import Anomaly
from cxloop.analytics.schemas import AnomalyRead
from cxloop.churn.models import ChurnScore
from cxloop.collection.models import FeedbackItem, Response
from cxloop.customers.models import Account, Customer

Facts = dict[str, Any]
BATCH = 1_000


def _with_customer(model: Any, *own: Any) -> Select[*tuple[Any, ...]]:
    """The columns every item has, its own, and its customer's stage and account."""
    return (
        select(
            model.id,
            model.customer_id,
            model.channel,
            model.touchpoint_id,
            model.stage_id,
            *own,
            Customer.stage_id.label("customer_stage_id"),
            Account.plan,
            Account.arr,
            ChurnScore.probability.label("churn_risk"),
        )
        .outerjoin(Customer, Customer.id == model.customer_id)
        .outerjoin(Account, Account.id == Customer.account_id)
        .outerjoin(ChurnScore, ChurnScore.customer_id == model.customer_id)
    )


def _responses() -> Select[*tuple[Any, ...]]:
    return _with_customer(
        Response, Response.nps, Response.csat, Response.ces, Response.comment, Response.survey_id
    ).where(Response.is_partial.is_(False))


def _feedback() -> Select[*tuple[Any, ...]]:
    return _with_customer(FeedbackItem, FeedbackItem.rating, FeedbackItem.text)


def _anomalies() -> Select[*tuple[Any, ...]]:
    return select(*Anomaly.__table__.columns)


def _facts(source: Source, row: Any) -> Facts:
    if source == Source.anomaly:
        return _anomaly_facts(AnomalyRead.model_validate(row, from_attributes=True))
    common = {
        "id": row.id,
        "customer_id": row.customer_id,
        "channel": row.channel,
        "touchpoint": row.touchpoint_id,
        "stage": row.stage_id if row.stage_id is not None else row.customer_stage_id,
        "account_tier": row.plan,
        "arr": float(row.arr) if row.arr is not None else None,
        "churn_risk": row.churn_risk,
    }
    if source == Source.response:
        return common | {
            "nps": row.nps,
            "csat": row.csat,
            "ces": row.ces,
            "comment": row.comment,
            "text": row.comment,
            "survey": row.survey_id,
        }
    return common | {"rating": row.rating, "text": row.text}


def _anomaly_facts(anomaly: AnomalyRead) -> Facts:
    """The anomaly fields of alerts/fields.py; no customer."""
    return {
        "id": anomaly.id,
        "customer_id": None,
        "metric": anomaly.metric,
        "kind": anomaly.kind.value,
        "direction": anomaly.direction.value,
        "granularity": anomaly.granularity,
        "segment": anomaly.segment,
        "channel": anomaly.channel,
        "theme": anomaly.theme,
        "touchpoint": anomaly.touchpoint_id,
        "scope": anomaly.scope,
        "value": anomaly.value,
        "baseline": anomaly.baseline,
        "change": anomaly.value - anomaly.baseline,
        "margin": anomaly.margin,
        "n": anomaly.n,
        "baseline_n": anomaly.baseline_n,
        "p_value": anomaly.p_value,
        "q_value": anomaly.q_value,
    }


def _query(source: Source) -> tuple[Select[*tuple[Any, ...]], Any, Any]:
    """The query of an item kind, its model and the column saying when it arrived."""
    if source == Source.response:
        return _responses(), Response, Response.received_at
    if source == Source.feedback:
        return _feedback(), FeedbackItem, FeedbackItem.received_at
    return _anomalies(), Anomaly, Anomaly.detected_at


def facts_of(session: Session, *, source: Source, ids: Sequence[int]) -> list[Facts]:
    """The facts of these items (complete responses only), in id order."""
    query, model, _ = _query(source)
    found: list[Facts] = []
    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start : start + BATCH])
        rows = session.execute(query.where(model.id.in_(chunk)).order_by(model.id))
        found.extend(_facts(source, row) for row in rows)
    return found


def iter_facts_since(session: Session, *, source: Source, since: datetime) -> Iterator[list[Facts]]:
    """The facts of the items received (anomalies: detected) since `since`, in batches by id (memory stays
    bounded)."""
    query, model, arrived = _query(source)
    after = 0
    while True:
        rows = session.execute(query.where(arrived >= since, model.id > after).order_by(model.id).limit(BATCH)).all()
        if not rows:
            return
        yield [_facts(source, row) for row in rows]
        after = rows[-1].id
