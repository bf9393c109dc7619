"""Read-side SQL for experiments: each customer's latest answer in a date range (with their external id, which the
assignment hashes) and segment membership."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Subquery, func, select
from sqlalchemy.orm import Session

from cxloop.collection.models import Response
from cxloop.customers.models import Customer, Segment, SegmentMember


def segment_key(session: Session, *, segment_id: int) -> str | None:
    return session.scalar(select(Segment.key).where(Segment.id == segment_id))


def customer_id(session: Session, *, external_id: str) -> int | None:
    return session.scalar(select(Customer.id).where(Customer.external_id == external_id))


def is_member(session: Session, *, segment_id: int, customer_id: int) -> bool:
    found = session.scalar(
        select(SegmentMember.customer_id).where(
            SegmentMember.segment_id == segment_id, SegmentMember.customer_id == customer_id
        )
    )
    return found is not None


def latest_scores(
    session: Session, *, metric: str, segment_id: int | None, since: datetime, until: datetime
) -> list[tuple[str, int]]:
    """(external id, score) of each customer's latest response (by submission time, then id) with a `metric` score
    submitted in [since, until), members of `segment_id` only when given. One row per customer, picked in the
    database. Each backend gets the form it runs fastest (docs/benchmarks.md "Experiments", 1M responses): SQLite
    one backward step per customer on the index of responses by (customer, submission time), 9x faster there than
    ranking every response; PostgreSQL ranks every response with a window function, 1.4x faster there."""
    score = getattr(Response, metric)
    if session.get_bind().dialect.name == "postgresql":
        ids = _ranked(score, segment_id, since, until)
    else:
        ids = _stepped(score, segment_id, since, until)
    query = (
        select(Customer.external_id, score)
        .join(Response, Response.customer_id == Customer.id)
        .where(Response.id.in_(select(ids.c.id)))
    )
    return [(external_id, int(value)) for external_id, value in session.execute(query)]


def _members(segment_id: int) -> ColumnElement[bool]:
    return (SegmentMember.customer_id == Customer.id) & (SegmentMember.segment_id == segment_id)


def _stepped(score: Any, segment_id: int | None, since: datetime, until: datetime) -> Subquery:
    """The latest response id of each customer, one correlated LIMIT 1 per customer."""
    latest = (
        select(Response.id)
        .where(Response.customer_id == Customer.id, score.is_not(None))
        .where(Response.submitted_at >= since, Response.submitted_at < until)
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )
    picked = select(latest.label("id")).select_from(Customer)
    if segment_id is not None:
        picked = picked.join(SegmentMember, _members(segment_id))
    return picked.subquery()


def _ranked(score: Any, segment_id: int | None, since: datetime, until: datetime) -> Subquery:
    """The latest response id of each customer, by ranking every response in the range per customer."""
    rank = func.row_number().over(
        partition_by=Response.customer_id, order_by=(Response.submitted_at.desc(), Response.id.desc())
    )
    ranked = (
        select(Response.id, rank.label("rank"))
        .join(Customer, Customer.id == Response.customer_id)
        .where(score.is_not(None), Response.submitted_at >= since, Response.submitted_at < until)
    )
    if segment_id is not None:
        ranked = ranked.join(SegmentMember, _members(segment_id))
    inner = ranked.subquery()
    return select(inner.c.id).where(inner.c.rank == 1).subquery()
