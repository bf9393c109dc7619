from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, status

from cxloop.access.deps import AgentDep, ViewerDep
from cxloop.core.int_bounds import Count, Limit
from cxloop.core.time_range import StartEndDep
from cxloop.customers import service as customers
from cxloop.customers.enums import OutcomeKind
from cxloop.customers.schemas import EventIngestResult, EventPage, OutcomeBatch, OutcomePage, RecordResult
from cxloop.storage.deps import SessionDep, get_async_database

router = APIRouter()

_EVENT_EXAMPLES: dict[str, Any] = {
    "event": {"summary": "one event", "value": {"customer_external_id": "u-42", "name": "ticket_solved"}},
    "items": {
        "summary": "a batch",
        "value": {"items": [{"customer_external_id": "u-42", "name": "order_delivered", "external_id": "o-9"}]},
    },
    "track": {
        "summary": "Segment track",
        "value": {"type": "track", "userId": "u-42", "event": "Order Completed", "messageId": "m-1"},
    },
    "batch": {
        "summary": "Segment batch",
        "value": {"batch": [{"type": "identify", "userId": "u-42", "traits": {"email": "ada@example.com"}}]},
    },
}


@router.post("/events", response_model=EventIngestResult, tags=["events"])
async def record_events(
    request: Request,
    _: AgentDep,
    payload: Annotated[Any, Body(openapi_examples=_EVENT_EXAMPLES)],
) -> EventIngestResult:
    """Record one event, `{"items": [...]}` (up to 1,000), or Segment-spec calls; resends are stored once."""
    # A write unit of work on the writer (see collection/routes.py): SQLite's write lock is taken up front, so event
    # pipelines posting to several server processes at once never fail with "database is locked".
    return await get_async_database(request).write(lambda session: customers.ingest_payload(session, payload=payload))


@router.get("/events", response_model=EventPage, tags=["events"])
def list_events(
    session: SessionDep,
    _: ViewerDep,
    window: StartEndDep,
    customer: str | None = None,
    name: str | None = None,
    source: str | None = None,
    sort: str | None = None,
    limit: Limit = 50,
    offset: Count = 0,
) -> EventPage:
    """List events, newest first; `customer` is an external id, `start` inclusive, `end` exclusive."""
    page = customers.list_events(
        session,
        customer=customer,
        name=name,
        source=source,
        start=window.since,
        end=window.until,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return EventPage(items=customers.event_reads(session, page.items), total=page.total, limit=limit, offset=offset)


@router.post("/outcomes", response_model=RecordResult, status_code=status.HTTP_201_CREATED, tags=["outcomes"])
def record_outcomes(body: OutcomeBatch, session: SessionDep, _: AgentDep) -> RecordResult:
    """Record up to 1,000 outcomes (churned, renewed, revenue, lifetime_value), all or nothing."""
    return customers.record_outcomes(session, items=body.items)


@router.get("/outcomes", response_model=OutcomePage, tags=["outcomes"])
def list_outcomes(
    session: SessionDep,
    _: ViewerDep,
    customer: str | None = None,
    account: str | None = None,
    kind: OutcomeKind | None = None,
    start: date | None = None,
    end: date | None = None,
    sort: str | None = None,
    limit: Limit = 50,
    offset: Count = 0,
) -> OutcomePage:
    """List outcomes, newest first; `start` and `end` are inclusive dates."""
    page = customers.list_outcomes(
        session,
        customer=customer,
        account=account,
        kind=kind,
        start=start,
        end=end,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return OutcomePage(items=customers.outcome_reads(session, page.items), total=page.total, limit=limit, offset=offset)
