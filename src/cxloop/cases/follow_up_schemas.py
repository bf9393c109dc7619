"""Pydantic I/O of follow-ups, their templates and improvements (docs/follow-ups.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cxloop.cases.enums import FollowUpChannel, FollowUpStatus
from cxloop.core.int_bounds import Count, JsonId

_NAME = r"^[a-z0-9][a-z0-9_-]*$"
_LOCALE = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
MAX_BODY = 5_000  # an email's text; an SMS body is capped at SMS_MAX
SMS_MAX = 1_600  # Twilio's limit for one message (it splits it into segments)


class Wording(BaseModel):
    """A subject (email only) and a body with {placeholders} (cases.service.follow_up_text.PLACEHOLDERS)."""

    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=MAX_BODY)


class Worded(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: FollowUpChannel = FollowUpChannel.email
    subject: str | None = Field(default=None, min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=MAX_BODY)
    translations: dict[str, Wording] = Field(default_factory=dict, max_length=50)

    @field_validator("translations")
    @classmethod
    def _locales(cls, value: dict[str, Wording]) -> dict[str, Wording]:
        import re  # noqa: PLC0415 - only when translations are given

        for locale in value:
            if not re.match(_LOCALE, locale):
                raise ValueError(f"'{locale}' is not a locale such as 'de' or 'pt-BR'")
        return {locale.lower(): wording for locale, wording in value.items()}

    @model_validator(mode="after")
    def _fits_channel(self) -> Worded:
        wordings = [Wording(subject=self.subject, body=self.body), *self.translations.values()]
        for wording in wordings:
            if self.channel == FollowUpChannel.email and not wording.subject:
                raise ValueError("an email needs a subject (in every translation too)")
            if self.channel == FollowUpChannel.sms and len(wording.body) > SMS_MAX:
                raise ValueError(f"an SMS body has at most {SMS_MAX} characters")
        return self


class TemplateCreate(Worded):
    name: str = Field(min_length=1, max_length=64, pattern=_NAME)


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, min_length=1, max_length=MAX_BODY)
    translations: dict[str, Wording] | None = Field(default=None, max_length=50)
    is_active: bool | None = None


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    channel: FollowUpChannel
    subject: str | None
    body: str
    translations: dict[str, Any]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class FollowUpAsk(BaseModel):
    """Which template to send, on which channel (default email)."""

    model_config = ConfigDict(extra="forbid")

    template: str = Field(min_length=1, max_length=64, pattern=_NAME)
    channel: FollowUpChannel = FollowUpChannel.email


class ConsentView(BaseModel):
    """What the consent ledger says about this purpose and channel: `allowed`, `opted_out` or `no_consent`
    (SMS needs an opt-in), and whether a stored opt-in says so (`explicit`)."""

    purpose: str
    channel: FollowUpChannel
    state: str
    explicit: bool


class PolicyVerdict(BaseModel):
    """The contact policy's word: may it go (`allowed`), which rule decided (`rule`, a governance
    SuppressionReason or null), why, which policy applies, and when it would leave (quiet hours move SMS)."""

    allowed: bool
    rule: str | None
    reason: str
    policy: str
    send_at: datetime | None


class FollowUpPreview(BaseModel):
    case_id: int
    template: str
    channel: FollowUpChannel
    locale: str | None
    to: str | None
    subject: str | None
    body: str
    consent: ConsentView
    policy: PolicyVerdict


class FollowUpReplyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    text: str
    received_at: datetime


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    customer_id: int
    improvement_id: int | None
    template: str | None
    channel: FollowUpChannel
    locale: str | None
    subject: str | None
    body: str
    status: FollowUpStatus
    detail: str | None
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    actor: str
    replies: list[FollowUpReplyRead] = Field(default_factory=list)


class ImprovementCreate(Worded):
    """An improvement to announce; it matches cases by `root_cause` (a root-cause key) and/or `theme` (a case tag,
    as themes from text analytics become tags); at least one."""

    title: str = Field(min_length=1, max_length=300)
    root_cause: str | None = Field(default=None, min_length=1, max_length=64)
    theme: str | None = Field(default=None, min_length=1, max_length=100)
    shipped_at: datetime

    @model_validator(mode="after")
    def _matches_something(self) -> ImprovementCreate:
        if self.root_cause is None and self.theme is None:
            raise ValueError("give a root_cause, a theme or both: they choose who hears of it")
        return self


class AnnounceCounts(BaseModel):
    """What an announcement did: messages queued now, customers already told earlier, and the skipped by reason."""

    matched: Count
    queued: Count
    already_announced: Count
    skipped: dict[str, int]


class ImprovementRead(BaseModel):
    id: int
    title: str
    channel: FollowUpChannel
    subject: str | None
    body: str
    translations: dict[str, Any]
    root_cause: str | None
    theme: str | None
    shipped_at: datetime
    created_at: datetime
    announced_at: datetime | None
    last_counts: dict[str, Any]
    sent: Count


class ImprovementAnnounced(BaseModel):
    improvement: ImprovementRead
    counts: AnnounceCounts


__all__ = ["JsonId"]
