"""Segment's HTTP Tracking API (`/v1/batch`, `/v1/track`, `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/group`,
`/v1/alias`), so Segment's own SDKs and Segment-compatible pipelines (RudderStack, Jitsu) send events to cxloop by
changing only their host. Mounted at the root, as Segment serves it.

The write key is a cxloop API key with the agent role or higher, sent as HTTP Basic user (password empty), as
Segment's libraries do; `Authorization: Bearer` and a `writeKey` field in the body work too. Bodies may be gzip
(`Content-Encoding: gzip`). Limits as Segment documents them: 500 KB per request (after decompression) and 32 KB per
call. Calls are mapped as POST /api/v1/events maps Segment calls (docs/api-customers.md), with `sentAt` clock-skew
correction; a resent `messageId` is stored once. Answers use Segment's shape: `{"success": true}`, and on error
`{"code": ..., "message": ...}` (plus cxloop's `detail` and `errors`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cxloop.access.deps import principal_of_key
from cxloop.access.enums import Role
from cxloop.access.errors import InvalidApiKey
from cxloop.core.body_caps import body_cap, max_bytes
from cxloop.core.clock import utcnow
from cxloop.core.error_body import STATUS_DESCRIPTIONS, FieldErrorBody
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.core.request_body import read_capped_body
from cxloop.core.request_checks import check_json
from cxloop.customers import service as customers
from cxloop.customers.segment_spec import CALL_TYPES, correct_clock_skew
from cxloop.storage.deps import get_async_database


class SegmentRefusal(BaseModel):
    """A refused call, in the shape Segment's libraries read (`success`, `code`, `message`) plus the app's `detail`
    and, when fields are to blame, `errors`."""

    success: bool
    code: str
    message: str
    detail: str
    errors: list[FieldErrorBody] = []


_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": SegmentRefusal, "description": STATUS_DESCRIPTIONS[status]}
    for status in (400, 401, 403, 413, 415)
}
router = APIRouter(prefix="/v1", tags=["segment"], responses=_REFUSALS)

MAX_REQUEST_BYTES = max_bytes("POST /v1/batch")
MAX_CALL_BYTES = 32 * 1024


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors or []

    def response(self) -> JSONResponse:
        errors = [{"field": e.field, "message": e.message} for e in self.errors]
        body = {"success": False, "code": self.code, "message": self.message, "detail": self.message}
        return JSONResponse(body | ({"errors": errors} if errors else {}), status_code=self.status)


async def _body(request: Request) -> bytes:
    """The body, decompressed when gzip, refused (413) as soon as it is known to pass MAX_REQUEST_BYTES (counted
    after decompression)."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in {"identity", "gzip"}:
        raise _Refused(415, "unsupported_encoding", f"Content-Encoding {encoding!r} is not supported (use gzip)")
    try:
        return await read_capped_body(request, limit=MAX_REQUEST_BYTES, gzip=encoding == "gzip")
    except HTTPException as exc:
        if exc.status_code == status.HTTP_413_CONTENT_TOO_LARGE:
            raise _Refused(413, "payload_too_large", f"a request may carry at most {MAX_REQUEST_BYTES} bytes") from exc
        raise _Refused(exc.status_code, "invalid_gzip", str(exc.detail)) from exc


def _write_key(request: Request, body: dict[str, Any]) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            user = ""
        if user:
            return user
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    key = body.get("writeKey")
    if isinstance(key, str) and key:
        return key
    raise _Refused(401, "unauthorized", "send the write key (a cxloop API key) as the HTTP Basic user name")


async def _authorize(request: Request, plain_key: str) -> None:
    try:
        principal = await principal_of_key(request, plain_key)
    except InvalidApiKey as exc:
        raise _Refused(401, "unauthorized", str(exc)) from exc
    if not principal.role.includes(Role.agent):
        raise _Refused(403, "forbidden", f"the write key needs the 'agent' role; it has '{principal.role.value}'")


def _calls(body: Any, call_type: str | None) -> tuple[list[Any], Any]:
    """(calls, batch-level sentAt) of a /v1/batch body or a single call to /v1/<type>."""
    if not isinstance(body, dict):
        raise _Refused(400, "invalid_request", "send a JSON object", [FieldError("body", "must be a JSON object")])
    if call_type is None:
        calls = body.get("batch")
        if not isinstance(calls, list) or not calls:
            raise _Refused(400, "invalid_request", "'batch' must be a non-empty list", [FieldError("batch", "missing")])
        return calls, body.get("sentAt")
    declared = body.get("type", call_type)
    if declared != call_type:
        message = f"this endpoint takes '{call_type}' calls, not '{declared}'"
        raise _Refused(400, "invalid_request", message, [FieldError("type", message)])
    return [{**body, "type": call_type}], None


def _check_sizes(calls: list[Any], *, batched: bool) -> None:
    too_large = [
        FieldError(f"batch.{i}" if batched else "body", f"a call may carry at most {MAX_CALL_BYTES} bytes")
        for i, call in enumerate(calls)
        if len(orjson.dumps(call)) > MAX_CALL_BYTES
    ]
    if too_large:
        raise _Refused(400, "message_too_large", "some calls are larger than 32 KB; nothing was saved", too_large)


async def _ingest(request: Request, call_type: str | None) -> JSONResponse:
    received_at = utcnow()
    try:
        raw = await _body(request)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise _Refused(400, "invalid_json", f"the body is not valid JSON: {exc}") from exc
        check_json(body, raw=raw)
        await _authorize(request, _write_key(request, body if isinstance(body, dict) else {}))
        calls, sent_at = _calls(body, call_type)
        _check_sizes(calls, batched=call_type is None)
        calls = correct_clock_skew(calls, sent_at=sent_at, received_at=received_at)
        try:
            await get_async_database(request).write(
                lambda session: customers.ingest_payload(session, payload={"batch": calls})
            )
        except InvalidInput as exc:
            errors = exc.errors if call_type is None else [_unbatched(e) for e in exc.errors]
            raise _Refused(400, "invalid_request", str(exc), errors) from exc
    except _Refused as refused:
        return refused.response()
    return JSONResponse({"success": True})


def _unbatched(error: FieldError) -> FieldError:
    """`batch.0.traits.email` -> `traits.email` for a single call."""
    return FieldError(error.field.removeprefix("batch.0.").removeprefix("batch.0") or "body", error.message)


@router.post("/batch", summary="Segment batch", **body_cap("POST /v1/batch"))
async def segment_batch(request: Request) -> JSONResponse:
    """Segment's `/v1/batch`: up to 500 KB of calls of any type."""
    return await _ingest(request, None)


def _single(call_type: str) -> None:
    async def endpoint(request: Request) -> JSONResponse:
        return await _ingest(request, call_type)

    endpoint.__name__ = f"segment_{call_type}"
    router.add_api_route(
        f"/{call_type}",
        endpoint,
        methods=["POST"],
        summary=f"Segment {call_type}",
        description=f"One `{call_type}` call.",
        **body_cap(f"POST /v1/{call_type}"),
    )


for _type in CALL_TYPES:
    _single(_type)
