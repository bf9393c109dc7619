"""Ingestion and reading of responses and feedback items (docs/api.md, "Ingestion rules").

The POST handlers read the raw body themselves: one object or `{"items": [...]}`, parsed with orjson, and every
problem of every item is reported in one 422 body. They never wait on the database on the event loop: checks run
in the thread pool, writes on the process's writer thread (storage/writer.py, docs/development/request-handling.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request, Response, status

from cxloop.access.deps import AgentDep, ViewerDep
from cxloop.collection import hooks
from cxloop.collection import service as collection
from cxloop.collection.coalescer import ResponseCoalescer
from cxloop.collection.enums import Channel, FeedbackKind
from cxloop.collection.errors import InvalidResponses, UnknownSurvey
from cxloop.collection.schemas import (
    MAX_BATCH,
    FeedbackBatch,
    FeedbackCreate,
    FeedbackPage,
    FeedbackRead,
    RecordResult,
    ResponseBatch,
    ResponseCreate,
    ResponsePage,
    ResponseRead,
)
from cxloop.core.body_caps import DEFAULT_MAX_BYTES
from cxloop.core.errors import CxloopError, FieldError, InvalidInput, NotFound
from cxloop.core.int_bounds import Count, Id, Limit
from cxloop.core.openapi_body import one_or_batch_body
from cxloop.core.request_body import read_capped_body
from cxloop.core.request_checks import check_json
from cxloop.core.time_range import TimeRangeDep
from cxloop.storage.deps import SessionDep, get_async_database

router = APIRouter(tags=["collection"])

MAX_BODY_BYTES = DEFAULT_MAX_BYTES
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=190,
        description="A resend with the same key stores nothing new and answers the original result (200). "
        "For a batch, item i is keyed '<key>#<i>'.",
    ),
]
_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Every item was a duplicate (same idempotency/dedupe key): nothing new was stored"},
    413: {"description": f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB"},
    422: {"description": "Invalid items; the errors name every bad field (`items.3.answers.q1`); nothing stored"},
}


async def _payloads(request: Request) -> tuple[list[Any], bool]:
    """The items of the body and whether it was one object (not a batch)."""
    try:
        raw = await read_capped_body(request, limit=MAX_BODY_BYTES)
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("the body is not valid JSON", errors=[FieldError("body", str(exc))]) from exc
    check_json(body, raw=raw)
    if isinstance(body, dict) and "items" in body:
        items = body["items"]
        if set(body) != {"items"}:
            extra = sorted(set(body) - {"items"})
            raise InvalidInput(
                "unexpected fields", errors=[FieldError(k, "extra fields are not permitted") for k in extra]
            )
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            message = f"must be a list of 1 to {MAX_BATCH:,} items"
            raise InvalidInput(f"a batch holds 1 to {MAX_BATCH:,} items", errors=[FieldError("items", message)])
        return items, False
    if not isinstance(body, dict):
        raise InvalidInput('send one object or {"items": [...]}', errors=[FieldError("body", "must be a JSON object")])
    return [body], True


async def _write(
    record: Callable[[Sequence[Any], Sequence[str | None] | None], Awaitable[RecordResult]],
    payloads: list[Any],
    single: bool,
    key: str | None,
    response: Response,
    noun: str,
) -> RecordResult:
    keys: list[str | None] | None = None
    if key is not None:
        keys = [key] if single else [f"{key}#{i}" for i in range(len(payloads))]
    try:
        result = await record(payloads, keys)
    except CxloopError as exc:
        if single:  # one object in, so the fields are named as in that object
            exc.errors = [FieldError(e.field.removeprefix("items.0."), e.message) for e in exc.errors]
            missing = isinstance(exc, NotFound)
            exc.message = "the survey does not exist" if missing else f"the {noun} is not valid"
            exc.message += "; nothing was stored"
        raise
    if result.created == 0:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.post(
    "/responses",
    response_model=RecordResult,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE_RESPONSES,
    openapi_extra=one_or_batch_body(ResponseCreate, ResponseBatch),
)
async def submit_responses(
    request: Request, response: Response, _: AgentDep, idempotency_key: IdempotencyKey = None
) -> RecordResult:
    """Store one response or a batch of up to 1,000, all or nothing (201; 200 when all were duplicates)."""
    payloads, single = await _payloads(request)
    if single:
        return await _coalesced(request, response, payloads[0], idempotency_key)
    # A batch is checked in a read-only unit of work (thread pool) and stored in a write one (the writer), so server
    # processes validate side by side and take turns only to store.
    database = get_async_database(request)

    async def record(items: Sequence[Any], keys: Sequence[str | None] | None) -> RecordResult:
        checked = await database.read(
            lambda session: collection.check_responses(session, payloads=items, idempotency_keys=keys)
        )
        return await database.write(lambda session: collection.store_checked(session, checked))

    return await _write(record, payloads, single, idempotency_key, response, "response")


async def _coalesced(request: Request, response: Response, payload: Any, key: str | None) -> RecordResult:
    """One response, written in a transaction shared with the single responses arriving at the same time."""
    coalescer: ResponseCoalescer = request.app.state.response_coalescer
    result = await coalescer.submit(payload, key)
    if result.errors:
        error = UnknownSurvey if result.unknown_survey else InvalidResponses
        what = "the survey does not exist" if result.unknown_survey else "the response is not valid"
        raise error(f"{what}; nothing was stored", errors=result.errors)
    assert result.id is not None
    if not result.created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return RecordResult(created=int(result.created), duplicates=int(not result.created), ids=[result.id])


@router.get("/responses", response_model=ResponsePage)
def list_responses(
    session: SessionDep,
    principal: ViewerDep,
    window: TimeRangeDep,
    survey: Annotated[str | None, Query(description="survey key")] = None,
    channel: Channel | None = None,
    customer: Annotated[str | None, Query(description="customer external id")] = None,
    sort: Annotated[str | None, Query(description="e.g. '-submitted_at' (default) or 'nps'")] = None,
    limit: Limit = 50,
    offset: Count = 0,
) -> ResponsePage:
    """Responses, newest first, filtered by survey, channel, customer and time (`since`/`until` on submitted_at).
    Comments are shown with personal data masked to viewers and agents."""
    page = collection.list_responses(
        session,
        survey=survey,
        channel=channel.value if channel else None,
        customer=customer,
        since=window.since,
        until=window.until,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    hooks.texts_shown(session, role=principal.role, responses=page.items, feedback=())
    return page


@router.get("/responses/{response_id:int}", response_model=ResponseRead)
def get_response(response_id: Id, session: SessionDep, principal: ViewerDep) -> ResponseRead:
    """One response with its answers and derived scores (comment masked to viewers and agents)."""
    read = collection.require_response(session, response_id=response_id)
    hooks.texts_shown(session, role=principal.role, responses=[read], feedback=())
    return read


@router.post(
    "/feedback",
    response_model=RecordResult,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE_RESPONSES,
    openapi_extra=one_or_batch_body(FeedbackCreate, FeedbackBatch),
)
async def submit_feedback(
    request: Request, response: Response, _: AgentDep, idempotency_key: IdempotencyKey = None
) -> RecordResult:
    """Store one feedback item or a batch of up to 1,000, all or nothing; (source, external_id) duplicates once."""
    payloads, single = await _payloads(request)
    del idempotency_key  # feedback dedupes on (source, external_id); the header is accepted and ignored
    # A write unit of work on the writer, once the body is read: SQLite's lock is taken up front, so two server
    # processes writing at once wait for each other instead of failing.
    database = get_async_database(request)

    async def record(items: Sequence[Any], _keys: Sequence[str | None] | None) -> RecordResult:
        return await database.write(lambda session: collection.submit_feedback(session, payloads=items))

    return await _write(record, payloads, single, None, response, "feedback item")


@router.get("/feedback", response_model=FeedbackPage)
def list_feedback(
    session: SessionDep,
    principal: ViewerDep,
    window: TimeRangeDep,
    source: str | None = None,
    kind: FeedbackKind | None = None,
    channel: Channel | None = None,
    customer: Annotated[str | None, Query(description="customer external id")] = None,
    sort: Annotated[str | None, Query(description="e.g. '-posted_at' (default) or 'rating'")] = None,
    limit: Limit = 50,
    offset: Count = 0,
) -> FeedbackPage:
    """Feedback items, newest first, filtered by source, kind, channel, customer and time (on posted_at). Texts
    are shown with personal data masked to viewers and agents."""
    page = collection.list_feedback(
        session,
        source=source,
        kind=kind.value if kind else None,
        channel=channel.value if channel else None,
        customer=customer,
        since=window.since,
        until=window.until,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    hooks.texts_shown(session, role=principal.role, responses=(), feedback=page.items)
    return page


@router.get("/feedback/{feedback_id:int}", response_model=FeedbackRead)
def get_feedback(feedback_id: Id, session: SessionDep, principal: ViewerDep) -> FeedbackRead:
    """One feedback item (its text masked to viewers and agents)."""
    read = collection.require_feedback(session, feedback_id=feedback_id)
    hooks.texts_shown(session, role=principal.role, responses=(), feedback=[read])
    return read
