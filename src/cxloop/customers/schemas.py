"""Pydantic I/O for customers, accounts, events, outcomes and segments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from pydantic_core import PydanticCustomError

from cxloop.core.clock import JsonDate, JsonDateTime, ensure_utc, utcnow
from cxloop.core.json_checks import MAX_FREE_BYTES, FreeObject
from cxloop.customers import phones, rules
from cxloop.customers.enums import OutcomeKind

MAX_BATCH = 1000
MAX_PROPERTIES_BYTES = MAX_FREE_BYTES
FUTURE_TOLERANCE = timedelta(minutes=5)


def _check(fn: Callable[[Any], Any], code: str) -> AfterValidator:
    """Run a rules.* check; its ValueError becomes a field error with the check's own plain message."""

    def run(value: Any) -> Any:
        try:
            return fn(value)
        except ValueError as exc:
            raise PydanticCustomError(code, str(exc)) from None

    return AfterValidator(run)


def _attribute_name(name: str) -> str:
    if not rules.ATTRIBUTE_NAME.match(name):
        raise ValueError("attribute names start with a letter or '_' and hold letters, digits and '_' (max 64)")
    return name


def _attribute_value(value: Any) -> Any:
    problems = rules.attribute_problems({"value": value})
    if problems:
        raise ValueError(problems[0][1])
    return value


def _instant(value: datetime) -> datetime:
    instant = ensure_utc(value)
    if instant > utcnow() + FUTURE_TOLERANCE:
        raise ValueError("is in the future")
    return instant


ExternalId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Email = Annotated[str, Field(max_length=320), _check(rules.normalise_email, "email")]
Phone = Annotated[str, Field(max_length=32), _check(phones.normalise_phone, "phone")]
Locale = Annotated[str, Field(max_length=16), _check(rules.normalise_locale, "locale")]
Timezone = Annotated[str, Field(max_length=64), _check(rules.check_timezone, "timezone")]
Key = Annotated[str, _check(rules.check_key, "key")]
AttributeName = Annotated[str, _check(_attribute_name, "attribute_name")]
AttributeValue = Annotated[Any, _check(_attribute_value, "attribute_value")]
Attributes = Annotated[dict[AttributeName, AttributeValue], Field(max_length=rules.MAX_ATTRIBUTES)]
Instant = Annotated[datetime, _check(_instant, "instant")]
Properties = FreeObject
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2), PlainSerializer(float, when_used="json")]


class _CustomerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    phone: Phone | None = None
    name: str | None = Field(default=None, max_length=300)
    locale: Locale | None = None
    timezone: Timezone | None = None
    # Merged into the stored attributes: keys sent replace, a key sent as null is removed, others are kept.
    attributes: Attributes = Field(default_factory=dict)
    account_external_id: str | None = Field(default=None, max_length=200)
    signup_date: JsonDate | None = None
    stage: str | None = Field(default=None, max_length=64, description="a stage key of a journey, e.g. 'onboarding'")


class CustomerUpsert(_CustomerFields):
    """A customer keyed by `external_id`; on update, fields not sent are left unchanged."""

    external_id: ExternalId


class CustomerUpdate(_CustomerFields):
    """A partial change to one customer; fields not sent are left unchanged."""

    external_id: ExternalId | None = None


class CustomerBulk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[CustomerUpsert] = Field(min_length=1, max_length=MAX_BATCH)


class CustomerRead(BaseModel):
    id: int
    external_id: str
    email: str | None
    phone: str | None
    name: str | None
    locale: str | None
    timezone: str | None
    attributes: dict[str, Any]
    account_id: int | None
    account_external_id: str | None
    signup_date: JsonDate | None
    stage: str | None
    stage_id: int | None
    created_at: JsonDateTime
    updated_at: JsonDateTime


class CustomerDetail(CustomerRead):
    """One customer with the keys of the segments they belong to."""

    segments: list[str]


class CustomerPage(BaseModel):
    items: list[CustomerRead]
    total: int
    limit: int
    offset: int


class UpsertResult(BaseModel):
    """What a bulk upsert did: `ids` in input order."""

    ids: list[int]
    created: int
    updated: int


class _AccountFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=300, description="defaults to the external id")
    plan: str | None = Field(default=None, max_length=100)
    arr: Money | None = Field(default=None, ge=0, description="annual recurring revenue")
    renewal_date: JsonDate | None = None
    owner: str | None = Field(default=None, max_length=200)
    attributes: Attributes = Field(default_factory=dict)


class AccountUpsert(_AccountFields):
    """A B2B account keyed by `external_id`; on update, fields not sent are left unchanged."""

    external_id: ExternalId


class AccountUpdate(_AccountFields):
    external_id: ExternalId | None = None


class AccountBulk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[AccountUpsert] = Field(min_length=1, max_length=MAX_BATCH)


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str
    name: str
    plan: str | None
    arr: Money | None
    renewal_date: JsonDate | None
    owner: str | None
    attributes: dict[str, Any]
    created_at: JsonDateTime
    updated_at: JsonDateTime


class AccountPage(BaseModel):
    items: list[AccountRead]
    total: int
    limit: int
    offset: int


class EventCreate(BaseModel):
    """One behavioural event. `(source, external_id)` is the dedupe key; unknown customers are created bare."""

    model_config = ConfigDict(extra="forbid")

    customer_external_id: str | None = Field(default=None, min_length=1, max_length=200)
    anonymous_id: str | None = Field(default=None, min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    properties: Properties = Field(default_factory=dict)
    occurred_at: Instant = Field(default_factory=utcnow)
    source: str = Field(default="api", min_length=1, max_length=64)
    external_id: str | None = Field(default=None, min_length=1, max_length=200)


class RecordResult(BaseModel):
    """How many items were stored and how many were already there (same dedupe key)."""

    created: int
    duplicates: int


class EventIngestResult(RecordResult):
    """What POST /events did with a plain, batched or Segment-spec payload."""

    customers_upserted: int = 0
    accounts_upserted: int = 0
    ignored: int = Field(default=0, description="Segment calls cxloop does not use (alias)")


class EventRead(BaseModel):
    id: int
    customer_id: int | None
    customer_external_id: str | None
    anonymous_id: str | None
    name: str
    properties: dict[str, Any]
    occurred_at: JsonDateTime
    received_at: JsonDateTime
    source: str
    external_id: str | None


class EventPage(BaseModel):
    items: list[EventRead]
    total: int
    limit: int
    offset: int


class OutcomeCreate(BaseModel):
    """A business outcome for a customer or an account (at least one of the two)."""

    model_config = ConfigDict(extra="forbid")

    customer_external_id: str | None = Field(default=None, min_length=1, max_length=200)
    account_external_id: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OutcomeKind
    value: (
        Annotated[Decimal, Field(max_digits=14, decimal_places=2), PlainSerializer(float, when_used="json")] | None
    ) = None
    occurred_on: JsonDate
    note: str = Field(default="", max_length=2000)
    source: str = Field(default="api", min_length=1, max_length=64)
    external_id: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _check_refs_and_value(self) -> OutcomeCreate:
        if self.customer_external_id is None and self.account_external_id is None:
            raise PydanticCustomError("outcome_owner", "give customer_external_id or account_external_id")
        if self.value is None and self.kind in {OutcomeKind.revenue, OutcomeKind.lifetime_value}:
            raise PydanticCustomError("outcome_value", f"a '{self.kind.value}' outcome needs a value")
        return self


class OutcomeBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[OutcomeCreate] = Field(min_length=1, max_length=MAX_BATCH)


class OutcomeRead(BaseModel):
    id: int
    customer_id: int | None
    customer_external_id: str | None
    account_id: int | None
    account_external_id: str | None
    kind: OutcomeKind
    value: Money | None
    occurred_on: JsonDate
    note: str
    source: str
    external_id: str | None
    created_at: JsonDateTime


class OutcomePage(BaseModel):
    items: list[OutcomeRead]
    total: int
    limit: int
    offset: int


FilterText = Annotated[str, Field(min_length=1, max_length=4000, description="docs/segments.md")]


class SegmentCreate(BaseModel):
    """A saved filter; its membership is computed when it is created."""

    model_config = ConfigDict(extra="forbid")

    key: Key
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    filter: FilterText


class SegmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    filter: FilterText | None = None


class SegmentRead(BaseModel):
    id: int
    key: str
    name: str
    description: str
    filter: str
    member_count: int
    uses_events: bool
    time_dependent: bool
    created_at: JsonDateTime
    updated_at: JsonDateTime
    refreshed_at: JsonDateTime | None


class SegmentPage(BaseModel):
    items: list[SegmentRead]
    total: int
    limit: int
    offset: int


class FilterCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: str = Field(max_length=4000)


class FilterCheckResult(BaseModel):
    """A filter that parsed: its canonical text, what it reads, and how many customers match now."""

    valid: bool = True
    normalized: str
    fields: list[str]
    uses_events: bool
    time_dependent: bool
    matches: int


class MembershipChangeRead(BaseModel):
    segment_id: int
    key: str
    added: int
    removed: int
    members: int
