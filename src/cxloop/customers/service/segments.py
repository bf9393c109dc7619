"""Segments: saved filters in the segment language, their materialised members, validation and refresh."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.core.clock import utcnow
from cxloop.customers import membership
from cxloop.customers.errors import SegmentConflict, SegmentNotFound
from cxloop.customers.membership import MembershipChange
from cxloop.customers.models import Customer, Segment, SegmentMember
from cxloop.customers.schemas import FilterCheckResult, SegmentCreate, SegmentRead, SegmentUpdate
from cxloop.customers.segment_ast import SCORES, describe_filter, format_filter
from cxloop.customers.segment_language import parse_filter
from cxloop.customers.segment_sql import compile_filter
from cxloop.storage.pagination import Page, order_clause, paginate

SORTS: dict[str, ColumnElement[Any]] = {
    "id": Segment.id.expression,
    "key": Segment.key.expression,
    "name": Segment.name.expression,
    "created_at": Segment.created_at.expression,
}
MEMBER_SORTS: dict[str, ColumnElement[Any]] = {
    "id": Customer.id.expression,
    "external_id": Customer.external_id.expression,
    "email": Customer.email.expression,
}


def get_segment(session: Session, *, segment_id: int | None = None, key: str | None = None) -> Segment | None:
    if segment_id is not None:
        return session.get(Segment, segment_id)
    return session.scalar(select(Segment).where(Segment.key == key))


def require_segment(session: Session, *, segment_id: int | None = None, key: str | None = None) -> Segment:
    """The segment, or SegmentNotFound."""
    segment = get_segment(session, segment_id=segment_id, key=key)
    if segment is None:
        what = f"id {segment_id}" if segment_id is not None else f"key '{key}'"
        raise SegmentNotFound(f"no segment with {what}")
    return segment


def check_filter(session: Session, *, text: str, now: datetime | None = None) -> FilterCheckResult:
    """Parse and type-check a filter (InvalidFilter naming the column), and count who it matches now."""
    node = parse_filter(text)
    traits = describe_filter(node)
    matches = session.scalar(select(func.count(Customer.id)).where(compile_filter(node, now=now or utcnow()))) or 0
    return FilterCheckResult(
        normalized=format_filter(node),
        fields=list(traits.fields),
        uses_events=traits.uses_events,
        time_dependent=traits.time_dependent,
        matches=matches,
    )


def matching_customer_ids(
    session: Session, *, text: str, customer_ids: Sequence[int], now: datetime | None = None
) -> set[int]:
    """Which of `customer_ids` the filter matches now (evaluated in SQL, not from a segment's stored members)."""
    predicate = compile_filter(parse_filter(text), now=now or utcnow())
    found: set[int] = set()
    for start in range(0, len(customer_ids), 5_000):
        chunk = list(customer_ids[start : start + 5_000])
        found.update(session.scalars(select(Customer.id).where(Customer.id.in_(chunk), predicate)))
    return found


def create_segment(session: Session, *, data: SegmentCreate) -> Segment:
    """Validate the filter, store the segment and materialise its members (listeners hear who was added)."""
    if get_segment(session, key=data.key) is not None:
        raise SegmentConflict(f"a segment with key '{data.key}' exists already")
    parse_filter(data.filter)
    now = utcnow()
    segment = Segment(
        key=data.key, name=data.name, description=data.description, filter=data.filter, created_at=now, updated_at=now
    )
    session.add(segment)
    session.flush()
    membership.refresh_segment(session, segment=segment, now=now)
    session.flush()
    return segment


def update_segment(session: Session, *, segment_id: int, data: SegmentUpdate) -> Segment:
    """Change name, description or filter; a new filter recomputes membership at once."""
    segment = require_segment(session, segment_id=segment_id)
    sent = data.model_fields_set
    if "name" in sent and data.name is not None:
        segment.name = data.name
    if "description" in sent and data.description is not None:
        segment.description = data.description
    refilter = "filter" in sent and data.filter is not None and data.filter != segment.filter
    if refilter and data.filter is not None:
        parse_filter(data.filter)
        segment.filter = data.filter
    segment.updated_at = utcnow()
    session.flush()
    if refilter:
        membership.refresh_segment(session, segment=segment, now=segment.updated_at)
        session.flush()
    return segment


def delete_segment(session: Session, *, segment_id: int) -> None:
    """Delete a segment; listeners hear that every member was removed."""
    segment = require_segment(session, segment_id=segment_id)
    membership.clear_segment(session, segment_id=segment.id)
    session.delete(segment)
    session.flush()


def list_segments(
    session: Session, *, q: str | None = None, sort: str | None = None, limit: int = 50, offset: int = 0
) -> Page[Segment]:
    query = select(Segment)
    if q:
        needle = q.strip().lower()
        query = query.where(
            func.lower(Segment.key).contains(needle, autoescape=True)
            | func.lower(Segment.name).contains(needle, autoescape=True)
        )
    return paginate(session, query.order_by(*order_clause(sort, SORTS, "key")), limit=limit, offset=offset)


def list_members(
    session: Session, *, segment_id: int, sort: str | None = None, limit: int = 50, offset: int = 0
) -> Page[Customer]:
    """One page of a segment's customers, as last materialised."""
    require_segment(session, segment_id=segment_id)
    query = select(Customer).where(
        exists().where(SegmentMember.segment_id == segment_id, SegmentMember.customer_id == Customer.id)
    )
    return paginate(session, query.order_by(*order_clause(sort, MEMBER_SORTS, "id")), limit=limit, offset=offset)


def member_counts(session: Session, *, segment_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(segment_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(SegmentMember.segment_id, func.count())
        .where(SegmentMember.segment_id.in_(ids))
        .group_by(SegmentMember.segment_id)
    )
    counts = dict.fromkeys(ids, 0)
    counts.update({row[0]: row[1] for row in rows})
    return counts


def segment_reads(session: Session, segments: Sequence[Segment]) -> list[SegmentRead]:
    counts = member_counts(session, segment_ids=(s.id for s in segments))
    reads = []
    for s in segments:
        traits = membership.filter_traits(s.filter)
        reads.append(
            SegmentRead(
                id=s.id,
                key=s.key,
                name=s.name,
                description=s.description,
                filter=s.filter,
                member_count=counts.get(s.id, 0),
                uses_events=traits.uses_events,
                time_dependent=traits.time_dependent,
                created_at=s.created_at,
                updated_at=s.updated_at,
                refreshed_at=s.refreshed_at,
            )
        )
    return reads


def refresh_segment(session: Session, *, segment_id: int, now: datetime | None = None) -> MembershipChange:
    """Recompute one segment for every customer now."""
    segment = require_segment(session, segment_id=segment_id)
    change = membership.refresh_segment(session, segment=segment, now=now)
    session.flush()
    return change


def refresh_all_segments(session: Session, *, now: datetime | None = None) -> list[MembershipChange]:
    """Recompute every segment for every customer (tenure and event windows drift with time; run daily)."""
    changes = membership.refresh_all(session, now=now)
    session.flush()
    return changes


def refresh_scored_segments(session: Session, *, score: str, now: datetime | None = None) -> list[MembershipChange]:
    """Recompute the segments whose filter reads the score `score` (`churn_risk`), for every customer: its owner
    calls this after replacing the scores (customers/scores.py)."""
    if score not in SCORES:
        raise ValueError(f"{score!r} is not a score segment filters know")
    changes = membership.refresh_reading(session, field=score, now=now)
    session.flush()
    return changes


def segments_have_members(session: Session) -> bool:
    """Whether any segment has a member (cheap: one row at most)."""
    return membership.segments_have_members(session)


def customer_segment_ids(session: Session, *, customer_ids: Iterable[int]) -> dict[int, list[int]]:
    """Customer id -> ids of the segments they are in (every id asked for is a key)."""
    return membership.segment_ids_by_customer(session, customer_ids=customer_ids)


def customer_segment_keys(session: Session, *, customer_id: int) -> list[str]:
    rows = session.scalars(
        select(Segment.key)
        .join(SegmentMember, SegmentMember.segment_id == Segment.id)
        .where(SegmentMember.customer_id == customer_id)
        .order_by(Segment.key)
    )
    return list(rows)
