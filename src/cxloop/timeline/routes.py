"""GET /customers/{id}/timeline: a customer's history across domains, newest first (docs/api-customers.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from cxloop.access.deps import ViewerDep
from cxloop.cases import service as cases
from cxloop.core.int_bounds import Id, Limit
from cxloop.invitations.routes import answer_link
from cxloop.storage.deps import SessionDep
from cxloop.timeline import service as timeline
from cxloop.timeline.schemas import TimelineEntryRead, TimelinePageRead
from cxloop.timeline.sources import View

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("/{customer_id:int}/timeline", response_model=TimelinePageRead)
def customer_timeline(
    customer_id: Id,
    request: Request,
    session: SessionDep,
    principal: ViewerDep,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")] = None,
    limit: Limit = 50,
) -> TimelinePageRead:
    """Every response, feedback item, event, invitation, case and consent change of the customer, newest first.
    Agents see only their teams' cases; invitation answer links are shown to agents and above."""
    view = View(
        case_scope=cases.scope_of(session, role=principal.role, user_id=principal.user_id),
        answer_link=answer_link(request, principal),
        role=principal.role,
    )
    page = timeline.customer_timeline(session, customer_id=customer_id, view=view, cursor=cursor, limit=limit)
    return TimelinePageRead(
        items=[TimelineEntryRead.model_validate(entry, from_attributes=True) for entry in page.items],
        next_cursor=page.next_cursor,
    )
