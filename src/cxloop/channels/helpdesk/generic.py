"""The generic helpdesk webhook: one documented JSON shape any helpdesk (or a small script) can send.

See docs/channels-helpdesk-reviews.md, "The generic shape". Unknown fields are refused so typos surface at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from cxloop.channels.helpdesk.activity import (
    PROPERTY_NAMES,
    HelpdeskActivity,
    HelpdeskEvent,
    Requester,
    TextItem,
    event_properties,
)
from cxloop.channels.helpdesk.errors import MalformedWebhook
from cxloop.channels.helpdesk.payload_fields import normalised_email
from cxloop.channels.helpdesk.transcripts import conversation_kind, normalised_channel, render
from cxloop.collection.enums import Channel, FeedbackKind
from cxloop.core.clock import ensure_utc, utcnow
from cxloop.core.errors import FieldError


def _number_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Ident = Annotated[
    str,
    BeforeValidator(_number_as_text),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GenericCustomer(_Strict):
    external_id: Ident | None = None
    email: Annotated[str, AfterValidator(normalised_email)] | None = None
    name: Name | None = None


class GenericTicket(_Strict):
    id: Ident
    status: Name | None = None
    channel: Name | None = None
    priority: Name | None = None
    subject: Annotated[str, StringConstraints(max_length=1000)] | None = None


class GenericMetrics(_Strict):
    wait_minutes: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    handle_minutes: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    transfers: int | None = Field(default=None, ge=0)
    reopens: int | None = Field(default=None, ge=0)


class GenericMessage(_Strict):
    author: Name
    text: Body
    at: datetime | None = None


class GenericNote(_Strict):
    id: Ident
    text: Body
    author: Name | None = None
    at: datetime | None = None


class GenericWebhook(_Strict):
    """One ticket or chat event from any helpdesk."""

    id: Ident = Field(description="your id for this event; a resend with the same id is stored once")
    event: HelpdeskEvent
    source: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")] = "helpdesk"
    occurred_at: datetime | None = None
    ticket: GenericTicket
    customer: GenericCustomer = Field(default_factory=GenericCustomer)
    agent: Name | None = None
    agent_id: Ident | None = None
    team: Name | None = None
    metrics: GenericMetrics = Field(default_factory=GenericMetrics)
    transcript: list[GenericMessage] | Body | None = None
    notes: list[GenericNote] = Field(default_factory=list, max_length=500)
    properties: dict[str, Any] = Field(default_factory=dict, description="more event properties of your own")


def parse(payload: Any) -> HelpdeskActivity:
    """The activity a generic webhook body describes; MalformedWebhook naming every bad field."""
    if not isinstance(payload, dict):
        raise MalformedWebhook("send a JSON object", errors=[FieldError("body", "must be a JSON object")])
    try:
        hook = GenericWebhook.model_validate(payload)
    except ValidationError as exc:
        errors = [FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()]
        raise MalformedWebhook("the webhook has missing or invalid fields; nothing was stored", errors=errors) from None
    clashes = sorted(set(hook.properties) & set(PROPERTY_NAMES))
    if clashes:
        errors = [FieldError(f"properties.{name}", "is set by cxloop; send it in its own field") for name in clashes]
        raise MalformedWebhook("the webhook has missing or invalid fields; nothing was stored", errors=errors)
    channel = normalised_channel(hook.ticket.channel)
    occurred_at = ensure_utc(hook.occurred_at) if hook.occurred_at else utcnow()
    properties = hook.properties | event_properties(
        ticket_id=hook.ticket.id,
        status=hook.ticket.status.lower() if hook.ticket.status else None,
        channel=channel,
        priority=hook.ticket.priority.lower() if hook.ticket.priority else None,
        subject=hook.ticket.subject,
        agent=hook.agent,
        agent_id=hook.agent_id,
        team=hook.team,
        wait_minutes=hook.metrics.wait_minutes,
        handle_minutes=hook.metrics.handle_minutes,
        transfers=hook.metrics.transfers,
        reopens=hook.metrics.reopens,
    )
    texts: list[TextItem] = []
    if isinstance(hook.transcript, str):
        transcript: str | None = hook.transcript
    elif hook.transcript:
        transcript = render([(m.at and ensure_utc(m.at), m.author, m.text) for m in hook.transcript])
    else:
        transcript = None
    if transcript:
        texts.append(TextItem(conversation_kind(channel), f"{hook.id}:transcript", transcript, None, occurred_at))
    for note in hook.notes:
        note_id = f"{hook.ticket.id}:note:{note.id}"
        texts.append(TextItem(FeedbackKind.note, note_id, note.text, note.author, note.at and ensure_utc(note.at)))
    return HelpdeskActivity(
        source=hook.source,
        event=hook.event,
        external_id=hook.id,
        occurred_at=occurred_at,
        channel=Channel.chat if channel == "chat" else Channel.support,
        properties=properties,
        requester=Requester(hook.customer.external_id, hook.customer.email, hook.customer.name),
        texts=texts,
    )
