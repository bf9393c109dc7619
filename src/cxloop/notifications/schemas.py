"""Pydantic I/O of notifications: destinations with their health, messages and dead letters."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from cxloop.core.clock import JsonDateTime
from cxloop.jobs.events import NOTIFIABLE
from cxloop.notifications.enums import DestinationKind, MessageStatus


class DestinationCreate(BaseModel):
    """A webhook, Slack or email destination; `events` null (the default) means every notifiable event."""

    model_config = ConfigDict(extra="forbid")

    kind: DestinationKind = DestinationKind.webhook  # before url: the url's check depends on it
    url: str = Field(min_length=1, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=len(NOTIFIABLE))
    description: str = Field(default="", max_length=200)

    @field_validator("url")
    @classmethod
    def _url_of_kind(cls, url: str, info: ValidationInfo) -> str:
        url = url.strip()
        if info.data.get("kind") is DestinationKind.email:
            if not url.startswith("mailto:"):
                raise ValueError("an email destination takes mailto: and one address, e.g. mailto:ann@example.com")
            local, at, domain = url.removeprefix("mailto:").partition("@")
            if not (local and at and "." in domain) or any(c in url for c in " ,;<>\r\n"):
                raise ValueError("must be mailto: and one email address, e.g. mailto:ann@example.com")
            return url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host (email: mailto:address)")
        return url

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str] | None) -> list[str] | None:
        if events is None:
            return None
        unknown = [name for name in events if name not in NOTIFIABLE]
        if unknown:
            raise ValueError(f"unknown event(s) {', '.join(unknown)}; known: {', '.join(NOTIFIABLE)}")
        return sorted(set(events))


class DestinationRead(BaseModel):
    """A destination and its health. The secret is never shown again after creation."""

    id: int
    kind: DestinationKind
    url: str
    events: list[str] | None
    description: str
    created_at: JsonDateTime
    failures_in_a_row: int
    retry_at: JsonDateTime | None
    last_success_at: JsonDateTime | None
    last_failure_at: JsonDateTime | None
    last_error: str | None
    paused_at: JsonDateTime | None
    pause_reason: str | None
    user_id: int | None = None  # a person's own inbox (SLA emails, weekly digests; docs/digests.md): no events
    pending: int = 0
    dead: int = 0


class DestinationCreated(DestinationRead):
    """The answer to creating a destination: the only time its signing secret (`whsec_...`) is shown."""

    secret: str | None


class MessageRead(BaseModel):
    id: int
    webhook_id: str
    destination_id: int
    event_id: int | None
    event_name: str
    status: MessageStatus
    attempts: int
    next_attempt_at: JsonDateTime
    last_error: str | None
    last_status_code: int | None
    created_at: JsonDateTime
    delivered_at: JsonDateTime | None


class MessagePage(BaseModel):
    items: list[MessageRead]
    total: int
    limit: int
    offset: int


class MessageQueued(BaseModel):
    message_id: int
    webhook_id: str


class Changed(BaseModel):
    count: int


def read_fields(row: Any) -> dict[str, Any]:
    """The columns of a destination row that DestinationRead shows."""
    return {name: getattr(row, name) for name in DestinationRead.model_fields if hasattr(row, name)}


class DigestPreferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekly_digest: bool = Field(strict=True)


class DigestPreferenceRead(BaseModel):
    """Whether the user gets their teams' weekly digest; `chosen` False while it is the default (on for leads)."""

    user_id: int
    weekly_digest: bool
    chosen: bool
