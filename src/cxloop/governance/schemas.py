from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints, field_validator

from cxloop.collection.enums import INVITATION_CHANNELS, Channel

Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
# Consent and quiet hours apply to the invitation channels and to in-product prompts (and '*': every channel).
_CONSENT_CHANNELS = (*INVITATION_CHANNELS, Channel.web, Channel.in_app, Channel.kiosk)
ChannelName = Annotated[str, StringConstraints(pattern=rf"^(\*|{'|'.join(_CONSENT_CHANNELS)})$")]


class ContactPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    max_invitations: int
    window_days: int
    quiet_start: str
    quiet_end: str
    quiet_channels: list[str]
    default_timezone: str
    sampling_rate: float
    holdout_percent: float
    updated_at: datetime


class ContactPolicyUpdate(BaseModel):
    """Fields to change; the others keep their value."""

    model_config = ConfigDict(extra="forbid")

    max_invitations: StrictInt | None = Field(
        default=None, ge=1, le=100, description="per customer per window, all surveys"
    )
    window_days: StrictInt | None = Field(default=None, ge=1, le=365)
    quiet_start: Clock | None = Field(default=None, description="HH:MM in the customer's own timezone")
    quiet_end: Clock | None = None
    quiet_channels: list[ChannelName] | None = None
    default_timezone: str | None = Field(default=None, description="IANA zone for customers without one")
    sampling_rate: StrictFloat | None = Field(
        default=None, gt=0, le=1, description="share of eligible invitations sent"
    )
    holdout_percent: StrictFloat | None = Field(default=None, ge=0, le=50, description="customers never surveyed")

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415 - only on this rare path

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone '{value}'") from exc
        return value


class ConsentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: ChannelName = Field(description="a channel, or '*' for every channel")
    granted: bool
    note: str = Field(default="", max_length=1000, description="e.g. where the customer said so")


class ConsentChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: str
    granted: bool
    source: str
    actor: str
    note: str
    at: datetime


class ConsentRead(BaseModel):
    """A customer's consent: the stored state per channel (absent: the channel's default) and the whole ledger."""

    customer_id: int
    states: dict[str, bool]
    defaults: dict[str, bool]
    history: list[ConsentChangeRead]
