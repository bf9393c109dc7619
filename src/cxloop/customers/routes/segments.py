from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from cxloop.access.deps import ActorDep, AnalystDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.int_bounds import Count, Id, Limit
from cxloop.customers import service as customers
from cxloop.customers.membership import MembershipChange
from cxloop.customers.schemas import (
    CustomerPage,
    FilterCheck,
    FilterCheckResult,
    MembershipChangeRead,
    SegmentCreate,
    SegmentPage,
    SegmentRead,
    SegmentUpdate,
)
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/segments", tags=["segments"])


def _read(session: Session, segment_id: int) -> SegmentRead:
    (read,) = customers.segment_reads(session, [customers.require_segment(session, segment_id=segment_id)])
    return read


def _change(session: Session, change: MembershipChange) -> MembershipChangeRead:
    segment = customers.require_segment(session, segment_id=change.segment_id)
    members = customers.member_counts(session, segment_ids=[segment.id])[segment.id]
    return MembershipChangeRead(
        segment_id=segment.id, key=segment.key, added=len(change.added), removed=len(change.removed), members=members
    )


@router.get("", response_model=SegmentPage)
def list_segments(
    session: SessionDep,
    _: ViewerDep,
    q: str | None = None,
    sort: str | None = None,
    limit: Limit = 50,
    offset: Count = 0,
) -> SegmentPage:
    """List segments with their member counts."""
    page = customers.list_segments(session, q=q, sort=sort, limit=limit, offset=offset)
    return SegmentPage(items=customers.segment_reads(session, page.items), total=page.total, limit=limit, offset=offset)


def _audited(segment: SegmentRead) -> dict[str, object]:
    """What the audit log keeps of a segment: its definition, not its changing member counts."""
    return segment.model_dump(include={"key", "name", "description", "filter"})


@router.post("", response_model=SegmentRead, status_code=status.HTTP_201_CREATED)
def create_segment(body: SegmentCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> SegmentRead:
    """Create a segment; 422 names the column where the filter goes wrong."""
    made = _read(session, customers.create_segment(session, data=body).id)
    audit.record(session, actor=actor, action=AuditAction.segment_created, target_id=made.id, after=_audited(made))
    return made


@router.post("/validate", response_model=FilterCheckResult)
def validate_filter(body: FilterCheck, session: SessionDep, _: ViewerDep) -> FilterCheckResult:
    """Parse a filter: its canonical form and how many customers match now, or a 422 with the column."""
    return customers.check_filter(session, text=body.filter)


@router.post("/refresh", response_model=list[MembershipChangeRead])
def refresh_segments(session: SessionDep, _: AnalystDep) -> list[MembershipChangeRead]:
    """Recompute every segment now (time-based filters drift daily)."""
    return [_change(session, change) for change in customers.refresh_all_segments(session)]


@router.get("/{segment_id:int}", response_model=SegmentRead)
def get_segment(segment_id: Id, session: SessionDep, _: ViewerDep) -> SegmentRead:
    """One segment."""
    return _read(session, segment_id)


@router.patch("/{segment_id:int}", response_model=SegmentRead)
def update_segment(
    segment_id: Id, body: SegmentUpdate, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> SegmentRead:
    """Rename or re-filter a segment; a new filter recomputes its members."""
    before = _audited(_read(session, segment_id))
    after = _read(session, customers.update_segment(session, segment_id=segment_id, data=body).id)
    action = AuditAction.segment_updated
    audit.record(session, actor=actor, action=action, target_id=segment_id, before=before, after=_audited(after))
    return after


@router.delete("/{segment_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_segment(segment_id: Id, session: SessionDep, _: AnalystDep, actor: ActorDep) -> Response:
    """Delete a segment."""
    before = _audited(_read(session, segment_id))
    customers.delete_segment(session, segment_id=segment_id)
    audit.record(session, actor=actor, action=AuditAction.segment_deleted, target_id=segment_id, before=before)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{segment_id:int}/members", response_model=CustomerPage)
def list_members(
    segment_id: Id, session: SessionDep, _: ViewerDep, sort: str | None = None, limit: Limit = 50, offset: Count = 0
) -> CustomerPage:
    """The segment's customers, as last materialised."""
    page = customers.list_members(session, segment_id=segment_id, sort=sort, limit=limit, offset=offset)
    return CustomerPage(
        items=customers.customer_reads(session, page.items), total=page.total, limit=limit, offset=offset
    )


@router.post("/{segment_id:int}/refresh", response_model=MembershipChangeRead)
def refresh_segment(segment_id: Id, session: SessionDep, _: AnalystDep) -> MembershipChangeRead:
    """Recompute one segment now."""
    return _change(session, customers.refresh_segment(session, segment_id=segment_id))
