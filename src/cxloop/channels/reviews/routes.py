"""POST /api/v1/reviews: review and social items, one object or `{"items": [...]}`, stored as feedback items."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response, status

from cxloop.access.deps import AgentDep
from cxloop.channels.reviews import service
from cxloop.channels.reviews.schemas import MAX_BATCH, ReviewBatch, ReviewCreate
from cxloop.collection.schemas import RecordResult
from cxloop.core.body_caps import DEFAULT_MAX_BYTES
from cxloop.core.errors import CxloopError, FieldError, InvalidInput
from cxloop.core.openapi_body import one_or_batch_body
from cxloop.core.request_body import read_capped_body
from cxloop.core.request_checks import check_json
from cxloop.storage.deps import get_async_database

router = APIRouter(tags=["reviews"])

MAX_BODY_BYTES = DEFAULT_MAX_BYTES
_BODY = one_or_batch_body(ReviewCreate, ReviewBatch)


async def _items(request: Request) -> tuple[list[Any], bool]:
    """The items of the body and whether it was one object."""
    body = await read_capped_body(request, limit=MAX_BODY_BYTES)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput("the body is not valid JSON", errors=[FieldError("body", str(exc))]) from None
    check_json(value, raw=body)
    if not isinstance(value, dict):
        raise InvalidInput('send one object or {"items": [...]}', errors=[FieldError("body", "must be a JSON object")])
    if "items" not in value:
        return [value], True
    items = value["items"]
    extra = sorted(set(value) - {"items"})
    if extra:
        raise InvalidInput("unexpected fields", errors=[FieldError(k, "extra fields are not permitted") for k in extra])
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        message = f"must be a list of 1 to {MAX_BATCH:,} items"
        raise InvalidInput(f"a batch holds 1 to {MAX_BATCH:,} items", errors=[FieldError("items", message)])
    return items, False


@router.post(
    "/reviews",
    response_model=RecordResult,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_BODY,
    responses={
        200: {"description": "Every item was stored before (same source and external_id): nothing new"},
        422: {"description": "Invalid items; the errors name every bad field (`items.3.rating`); nothing stored"},
    },
)
async def submit_reviews(request: Request, response: Response, _: AgentDep) -> RecordResult:
    """Store one review/social item or up to 1,000, all or nothing; (source, external_id) is stored once."""
    payloads, single = await _items(request)
    try:
        result = await get_async_database(request).write(
            lambda session: service.submit_reviews(session, payloads=payloads)
        )
    except CxloopError as exc:
        if single:  # one object in: name the fields as in that object
            exc.errors = [FieldError(e.field.removeprefix("items.0."), e.message) for e in exc.errors]
        raise
    if result.created == 0:
        response.status_code = status.HTTP_200_OK
    return result
