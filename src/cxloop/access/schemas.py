from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from cxloop.access.enums import Assignment, Role
from cxloop.core import business_hours
from cxloop.core.clock import JsonDateTime
from cxloop.core.int_bounds import JsonId


class Principal(BaseModel):
    """Who is calling: resolved from an API key (or, later, a login session)."""

    model_config = ConfigDict(frozen=True)

    api_key_id: int | None = None
    user_id: int | None = None
    name: str
    role: Role


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Role


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: Role
    created_at: JsonDateTime
    last_used_at: JsonDateTime | None
    revoked_at: JsonDateTime | None


class ApiKeyCreated(ApiKeyRead):
    """Returned once, at creation: `key` is never shown again."""

    key: str


def _zone(value: str) -> str:
    business_hours.parse_timezone(value)
    return value


def _zone_or_empty(value: str) -> str:
    value = value.strip()
    return _zone(value) if value else ""


# A user's zone: an IANA name, or "" for the organisation's.
UserTimeZone = Annotated[str, Field(max_length=64), AfterValidator(_zone_or_empty)]


class UserCreate(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(default="", max_length=200)
    role: Role
    password: str | None = Field(default=None, min_length=12, max_length=200)

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        value = value.strip().lower()
        local, _, domain = value.partition("@")
        if not local or "." not in domain or " " in value:
            raise ValueError("is not an email address")
        return value


class UserUpdate(BaseModel):
    """Only the fields sent change; `timezone: ""` goes back to the organisation's zone."""

    name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    is_active: bool | None = None
    timezone: UserTimeZone | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    created_at: JsonDateTime
    timezone: str | None  # None: the organisation's


def _hours(value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
    if value is not None:
        business_hours.parse_hours(value)
    return value or None


def _holidays(value: list[str]) -> list[str]:
    for day in value:
        try:
            date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"'{day}' is not a date like 2026-12-25") from None
    return sorted(set(value))


BusinessHours = Annotated[dict[str, list[str]] | None, AfterValidator(_hours)]
Holidays = Annotated[list[str], Field(max_length=1000), AfterValidator(_holidays)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_zone)]


class TeamCreate(BaseModel):
    """A team: `business_hours` {"mon": ["09:00-18:00"], ...} in `timezone` (omit for around the clock)."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)
    lead_user_id: JsonId | None = None
    timezone: TimeZone = "UTC"
    business_hours: BusinessHours = None
    holidays: Holidays = Field(default_factory=list)
    assignment: Assignment = Assignment.round_robin
    member_ids: list[JsonId] = Field(default_factory=list, max_length=1000)


class TeamUpdate(BaseModel):
    """Only the fields sent change; `business_hours: null` means around the clock."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    lead_user_id: JsonId | None = None
    timezone: TimeZone | None = None
    business_hours: BusinessHours = None
    holidays: Holidays | None = None
    assignment: Assignment | None = None


class TeamRead(BaseModel):
    id: int
    key: str
    name: str
    lead_user_id: int | None
    timezone: str
    business_hours: dict[str, list[str]] | None
    holidays: list[str]
    assignment: Assignment
    member_ids: list[int]
    created_at: JsonDateTime
