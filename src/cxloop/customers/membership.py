"""Materialised segment membership (`segment_members`) and the listeners told about every change.

Membership is recomputed in SQL (DELETE ... RETURNING and INSERT ... SELECT ... RETURNING with the compiled filter),
so only the difference is written and the listeners learn exactly who joined and who left, inside the caller's
transaction. When it is recomputed is listed in docs/segments.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal, Protocol

from sqlalchemy import delete, exists, insert, literal, select
from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.core.hooks import Hook
from cxloop.customers.models import Customer, Segment, SegmentMember
from cxloop.customers.segment_ast import FilterTraits, Node, describe_filter
from cxloop.customers.segment_language import parse_filter
from cxloop.customers.segment_sql import compile_filter

# Past this many customers a scoped refresh costs more than recomputing the whole segment.
SCOPE_LIMIT = 5000
_CHUNK = 1000


class MembershipListener(Protocol):
    def __call__(self, session: Session, *, segment_id: int, added: Sequence[int], removed: Sequence[int]) -> None: ...


# Told inside the caller's transaction who joined and who left a segment.
changed: Hook[MembershipListener] = Hook("segment membership", example={"segment_id": 0, "added": (), "removed": ()})


@dataclass
class MembershipChange:
    """Who joined and who left one segment in one refresh."""

    segment_id: int
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


@lru_cache(maxsize=512)
def parsed_filter(text: str) -> Node:
    """The AST of a stored filter (cached: ASTs are immutable)."""
    return parse_filter(text)


def filter_traits(text: str) -> FilterTraits:
    return describe_filter(parsed_filter(text))


def refresh_segment(
    session: Session,
    *,
    segment: Segment,
    customer_ids: Collection[int] | None = None,
    now: datetime | None = None,
) -> MembershipChange:
    """Recompute one segment, for every customer or only for `customer_ids`, and tell the listeners."""
    now = now or utcnow()
    predicate = compile_filter(parsed_filter(segment.filter), now=now)
    change = MembershipChange(segment.id)
    scopes: Iterable[list[int] | None] = [None]
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        scopes = [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    for scope in scopes:
        matches = select(literal(1)).select_from(Customer).where(Customer.id == SegmentMember.customer_id, predicate)
        stale = delete(SegmentMember).where(SegmentMember.segment_id == segment.id, ~matches.exists())
        fresh_conditions = [
            predicate,
            ~exists().where(SegmentMember.segment_id == segment.id, SegmentMember.customer_id == Customer.id),
        ]
        if scope is not None:
            stale = stale.where(SegmentMember.customer_id.in_(scope))
            fresh_conditions.append(Customer.id.in_(scope))
        removed = session.scalars(
            stale.returning(SegmentMember.customer_id), execution_options={"synchronize_session": False}
        ).all()
        added = session.scalars(
            insert(SegmentMember)
            .from_select(
                ["segment_id", "customer_id"], select(literal(segment.id), Customer.id).where(*fresh_conditions)
            )
            .returning(SegmentMember.customer_id)
        ).all()
        change.removed.extend(removed)
        change.added.extend(added)
    if customer_ids is None:
        segment.refreshed_at = now
    change.added.sort()
    change.removed.sort()
    if change.changed:
        changed(session, segment_id=segment.id, added=change.added, removed=change.removed)
    return change


Reason = Literal["customers", "events", "accounts"]


def refresh_customers(
    session: Session,
    *,
    customer_ids: Collection[int],
    reason: Reason = "customers",
    now: datetime | None = None,
) -> list[MembershipChange]:
    """Recompute every segment that can depend on what changed (`reason`) for these customers."""
    if not customer_ids:
        return []
    segments = list(session.scalars(select(Segment).order_by(Segment.id)))
    if reason == "events":
        segments = [s for s in segments if filter_traits(s.filter).uses_events]
    elif reason == "accounts":
        segments = [s for s in segments if filter_traits(s.filter).uses_accounts]
    scope = None if len(customer_ids) > SCOPE_LIMIT else customer_ids
    return [refresh_segment(session, segment=s, customer_ids=scope, now=now) for s in segments]


def refresh_all(session: Session, *, now: datetime | None = None) -> list[MembershipChange]:
    """Recompute every segment for every customer (time-based filters such as tenure drift daily)."""
    now = now or utcnow()
    return [refresh_segment(session, segment=s, now=now) for s in session.scalars(select(Segment).order_by(Segment.id))]


def refresh_reading(session: Session, *, field: str, now: datetime | None = None) -> list[MembershipChange]:
    """Recompute, for every customer, the segments whose filter reads `field` (a score replaced for everyone)."""
    now = now or utcnow()
    segments = [
        s for s in session.scalars(select(Segment).order_by(Segment.id)) if field in filter_traits(s.filter).fields
    ]
    return [refresh_segment(session, segment=s, now=now) for s in segments]


def clear_segment(session: Session, *, segment_id: int) -> MembershipChange:
    """Remove every member (the segment is being deleted) and tell the listeners."""
    removed = sorted(
        session.scalars(
            delete(SegmentMember).where(SegmentMember.segment_id == segment_id).returning(SegmentMember.customer_id),
            execution_options={"synchronize_session": False},
        ).all()
    )
    change = MembershipChange(segment_id, removed=removed)
    if removed:
        changed(session, segment_id=segment_id, added=[], removed=removed)
    return change


def remove_customers(session: Session, *, customer_ids: Collection[int]) -> list[MembershipChange]:
    """Take customers out of every segment (they are being deleted) and tell the listeners."""
    by_segment: dict[int, list[int]] = defaultdict(list)
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            delete(SegmentMember)
            .where(SegmentMember.customer_id.in_(ids[start : start + _CHUNK]))
            .returning(SegmentMember.segment_id, SegmentMember.customer_id),
            execution_options={"synchronize_session": False},
        ).all()
        for segment_id, customer_id in rows:
            by_segment[segment_id].append(customer_id)
    changes = []
    for segment_id in sorted(by_segment):
        removed = sorted(by_segment[segment_id])
        changed(session, segment_id=segment_id, added=[], removed=removed)
        changes.append(MembershipChange(segment_id, removed=removed))
    return changes


def segments_have_members(session: Session) -> bool:
    """Whether any segment has a member."""
    return session.execute(select(SegmentMember.customer_id).limit(1)).first() is not None


def segment_ids_by_customer(session: Session, *, customer_ids: Iterable[int]) -> dict[int, list[int]]:
    """Segment ids of each customer (every id asked for is a key; [] when in none)."""
    ids = sorted(set(customer_ids))
    result: dict[int, list[int]] = {customer_id: [] for customer_id in ids}
    if ids and not segments_have_members(session):
        return result  # e.g. no segment is saved yet: skip the lookups
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(SegmentMember.customer_id, SegmentMember.segment_id)
            .where(SegmentMember.customer_id.in_(ids[start : start + _CHUNK]))
            .order_by(SegmentMember.customer_id, SegmentMember.segment_id)
        )
        for customer_id, segment_id in rows:
            result[customer_id].append(segment_id)
    return result
