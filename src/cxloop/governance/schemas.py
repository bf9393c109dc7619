from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints, field_validator

from cxloop.collection.enums import INVITATION_CHANNELS, Channel
from cxloop.core.clock import JsonDateTime
from cxloop.governance.channels import MAX_CAP_WEIGHT
from cxloop.governance.purposes import NAMES as PURPOSE_NAMES

Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
# Consent and quiet hours apply to the invitation channels and to in-product prompts (and '*': every channel).
CONSENT_CHANNELS = (*INVITATION_CHANNELS, Channel.web, Channel.in_app, Channel.kiosk)
ChannelName = Annotated[str, StringConstraints(pattern=rf"^(\*|{'|'.join(CONSENT_CHANNELS)})$")]
PurposeName = Annotated[str, StringConstraints(pattern="^(" + "|".join(re.escape(p) for p in PURPOSE_NAMES) + ")$")]
InvitationChannel = Annotated[str, StringConstraints(pattern=rf"^({'|'.join(INVITATION_CHANNELS)})$")]
CapWeight = Annotated[float, Field(ge=0, le=MAX_CAP_WEIGHT)]
PolicyKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
SegmentFilter = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class ContactPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    segment_filter: str | None  # None: the organisation's default, for customers no scoped policy matches
    priority: int
    channel_weights: dict[str, float]  # every channel's weight in the frequency cap (set here, else the default)
    max_invitations: int
    window_days: int
    quiet_start: str
    quiet_end: str
    quiet_channels: list[str]
    default_timezone: str
    sampling_rate: float
    holdout_percent: float
    updated_at: JsonDateTime


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
    channel_weights: dict[InvitationChannel, CapWeight] | None = Field(
        default=None, description="what one contact on a channel counts towards max_invitations (0: never capped)"
    )

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


class ScopedPolicyUpdate(ContactPolicyUpdate):
    segment_filter: SegmentFilter | None = Field(default=None, description="whom it applies to (docs/segments.md)")
    priority: int | None = Field(default=None, ge=1, le=10_000, description="lower is tried first")


class ScopedPolicyCreate(ScopedPolicyUpdate):
    """A policy for the customers a segment filter matches; fields not set are copied from the default policy."""

    key: PolicyKey
    segment_filter: SegmentFilter = Field(description="whom it applies to (docs/segments.md)")
    priority: int = Field(default=100, ge=1, le=10_000, description="lower is tried first")


class ConsentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: PurposeName = Field(default="*", description="research, follow_up, or '*' for every purpose")
    channel: ChannelName = Field(description="a channel, or '*' for every channel")
    granted: bool
    note: str = Field(default="", max_length=1000, description="e.g. where the customer said so")


class ConsentChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    purpose: str
    channel: str
    granted: bool
    source: str
    actor: str
    note: str
    at: JsonDateTime


class ConsentRead(BaseModel):
    """A customer's consent: the stored state per purpose and channel (absent: the channel's default), what that
    means for each purpose and channel, and the whole ledger."""

    customer_id: int
    states: dict[str, dict[str, bool]]  # purpose ('*': all) -> channel ('*': all) -> granted
    defaults: dict[str, dict[str, bool]]  # purpose -> channel -> may be used, given the states
    history: list[ConsentChangeRead]
