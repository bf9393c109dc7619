from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from cxloop.collection.channel_fields import InvitationChannel
from cxloop.core.clock import JsonDateTime


class InvitationCreate(BaseModel):
    """Invite one customer to a survey; the contact policy decides whether, on which channel and when."""

    model_config = ConfigDict(extra="forbid")

    survey: str = Field(min_length=1, max_length=64, description="the survey's key")
    customer_external_id: str = Field(min_length=1, max_length=200)
    channel: InvitationChannel
    fallbacks: list[InvitationChannel] = Field(
        default_factory=list, max_length=3, description="tried in order, e.g. sms->email"
    )
    touchpoint: str | None = Field(default=None, max_length=64, description="a touchpoint key")
    send_at: AwareDatetime | None = Field(default=None, description="default: now (moved out of quiet hours)")
    occurrence_key: str | None = Field(
        default=None, max_length=200, description="your id for this occasion: the same key never invites twice"
    )


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    survey_id: int
    customer_id: int
    channel: str
    requested_channel: str | None
    touchpoint_id: int | None
    rule_id: int | None
    occurrence_key: str | None
    status: str
    reason: str | None
    policy: str | None = Field(description="the key of the contact policy that decided (null: decided before keys)")
    locale: str | None
    scheduled_for: JsonDateTime
    expires_at: JsonDateTime
    sent_at: JsonDateTime | None
    opened_at: JsonDateTime | None
    answered_at: JsonDateTime | None
    reminded_at: JsonDateTime | None
    response_id: int | None
    detail: str | None
    delivery_status: str | None = Field(
        description="what the provider reported afterwards: queued, sent, delivered, undelivered, failed, bounced, ..."
    )
    delivery_error: str | None = Field(description="the provider's error code (SMS) or bounce kind (email)")
    created_at: JsonDateTime
    url: str | None = Field(
        default=None,
        description="the hosted survey link; it answers as the customer, so it is null for viewer keys (agents and "
        "above see it) and for suppressed invitations",
    )


class InvitationPage(BaseModel):
    items: list[InvitationRead]
    total: int
    limit: int
    offset: int
