"""Pydantic I/O for responses and feedback items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, TypeAdapter, ValidationError

from cxloop.collection.channel_fields import ResponseChannel
from cxloop.collection.enums import Channel, FeedbackKind
from cxloop.core.clock import JsonDateTime
from cxloop.core.errors import FieldError
from cxloop.core.int_bounds import JsonInt, JsonVersion
from cxloop.core.json_checks import MAX_FREE_BYTES, FreeObject

_T = TypeVar("_T")
MAX_BATCH = 1000
MAX_METADATA_BYTES = MAX_FREE_BYTES
MAX_TEXT = 10_000

ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
Key = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Locale = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$", max_length=16)]


@dataclass(frozen=True, slots=True)
class ResolvedFilters:
    """A page's or a query's filters of responses, keys resolved to ids (channel stays a name): the metrics count
    within them (analytics), the journey map's top themes too (text/themes)."""

    segment_id: int | None = None
    stage_id: int | None = None
    touchpoint_id: int | None = None
    survey_id: int | None = None
    account_id: int | None = None
    channel: str | None = None


NO_FILTERS = ResolvedFilters()


# Columns an export adds from the text enrichment (text/service.py fills them): read-only, so an import of the export
# ignores them (CSV columns and JSON Lines keys alike).
ENRICHMENT_COLUMNS = ("language", "sentiment_label", "sentiment_score", "themes", "primary_theme")


class ResponseCreate(BaseModel):
    """One survey response. `nps`/`csat`/`ces`/`comment` are shortcuts that fill the survey's first question of that
    kind (the comment goes to the first open question shown for the given answers)."""

    model_config = ConfigDict(extra="forbid")

    survey: str = Field(min_length=1, max_length=64, description="the survey's key")
    version: JsonVersion | None = Field(default=None, description="survey version answered; default: the current one")
    customer_external_id: ExternalId | None = Field(
        default=None, description="your id for the customer; an unknown one creates a bare customer"
    )
    channel: ResponseChannel = Channel.api
    touchpoint: str | None = Field(default=None, min_length=1, max_length=64, description="a touchpoint key")
    answers: dict[str, Any] = Field(default_factory=dict, max_length=200, description="question id -> answer")
    nps: JsonInt | None = None
    csat: JsonInt | None = None
    ces: JsonInt | None = None
    comment: str | None = Field(default=None, max_length=MAX_TEXT)
    submitted_at: JsonDateTime | None = Field(default=None, description="default: now; at most 5 minutes in the future")
    locale: Locale | None = None
    metadata: FreeObject = Field(default_factory=dict, description=f"at most {MAX_METADATA_BYTES} bytes of JSON")
    is_partial: bool = False
    idempotency_key: Key | None = Field(default=None, description="a resend with the same key is stored once")


class ResponseBatch(BaseModel):
    """Up to 1,000 responses, stored all together or not at all."""

    items: list[ResponseCreate] = Field(min_length=1, max_length=MAX_BATCH)


class RecordResult(BaseModel):
    """What a write stored: `created` new rows, `duplicates` already stored (same idempotency or dedupe key), and
    the id of each item in input order (a duplicate's id is the original's)."""

    created: int
    duplicates: int
    ids: list[int]


class ResponseRead(BaseModel):
    """A stored response with its derived scores."""

    id: int
    survey: str
    survey_id: int
    version: int
    customer_id: int | None
    customer_external_id: str | None
    channel: str
    touchpoint: str | None
    stage_id: int | None
    answers: dict[str, Any]
    nps: int | None
    csat: int | None
    ces: int | None
    comment: str | None
    locale: str | None
    metadata: dict[str, Any]
    is_partial: bool
    submitted_at: JsonDateTime
    received_at: JsonDateTime
    idempotency_key: str | None


class ResponsePage(BaseModel):
    items: list[ResponseRead]
    total: int
    limit: int
    offset: int


class FeedbackCreate(BaseModel):
    """One piece of unstructured feedback. `(source, external_id)` is its dedupe key; it is linked to a customer by
    `customer_external_id`, or else by `author_email` when that matches a known customer."""

    model_config = ConfigDict(extra="forbid")

    kind: FeedbackKind
    source: str = Field(min_length=1, max_length=64, description="where it came from, e.g. 'trustpilot', 'zendesk'")
    external_id: Key | None = Field(
        default=None, description="the source's id; a resend with the same one is a duplicate"
    )
    channel: ResponseChannel
    text: str = Field(min_length=1, max_length=100_000)
    rating: StrictInt | None = Field(default=None, ge=1, le=5, description="1-5; counts as CSAT in metrics")
    author: str | None = Field(default=None, max_length=300)
    author_email: str | None = Field(default=None, max_length=320)
    url: str | None = Field(default=None, max_length=2000)
    customer_external_id: ExternalId | None = None
    touchpoint: str | None = Field(default=None, min_length=1, max_length=64)
    posted_at: JsonDateTime | None = Field(default=None, description="default: now; at most 5 minutes in the future")
    metadata: FreeObject = Field(default_factory=dict)


class FeedbackBatch(BaseModel):
    items: list[FeedbackCreate] = Field(min_length=1, max_length=MAX_BATCH)


class FeedbackRead(BaseModel):
    """A stored feedback item."""

    id: int
    kind: str
    source: str
    external_id: str | None
    channel: str
    text: str
    rating: int | None
    author: str | None
    author_email: str | None
    url: str | None
    customer_id: int | None
    customer_external_id: str | None
    touchpoint: str | None
    stage_id: int | None
    metadata: dict[str, Any]
    posted_at: JsonDateTime
    received_at: JsonDateTime


class FeedbackPage(BaseModel):
    items: list[FeedbackRead]
    total: int
    limit: int
    offset: int


def validated(adapter: TypeAdapter[_T], payload: object) -> _T | list[FieldError]:
    """The payload as a model, or the list of its problems (field = the pydantic location)."""
    try:
        return adapter.validate_python(payload)
    except ValidationError as exc:
        return [FieldError(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]


RESPONSE_ADAPTER = TypeAdapter(ResponseCreate)
