"""The body of every error answer, as a model, so the OpenAPI documents what the server sends (api/errors.py renders
it; api/openapi_responses.py declares it on every route for each error status the route can answer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# What each error status means, wherever it is declared without a description of its own.
STATUS_DESCRIPTIONS: dict[int, str] = {
    400: "The payload cannot be used; the errors name each bad field",
    401: "No API key, or an unknown, expired or revoked one",
    403: "The API key's role may not do this",
    404: "Nothing with this id, or a row the body names does not exist",
    409: "Clashes with what is stored (a key in use, a row still referenced)",
    413: "The body is larger than the endpoint accepts",
    415: "The body's media type or encoding is not accepted",
    422: "Invalid input (also a body that is not JSON); the errors name each bad field",
    429: "Too many requests; retry after the Retry-After header's seconds",
}


class FieldErrorBody(BaseModel):
    field: str = Field(description="dotted location of the bad value, e.g. `items.3.score` or `limit`")
    message: str = Field(description="why it was refused, in plain words")


class ErrorBody(BaseModel):
    """`{"detail": "...", "errors": [{"field": ..., "message": ...}]}`; `errors` is empty when no field is to blame."""

    detail: str
    errors: list[FieldErrorBody]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that can answer these error statuses with the common body."""
    return {status: {"model": ErrorBody, "description": STATUS_DESCRIPTIONS[status]} for status in statuses}
