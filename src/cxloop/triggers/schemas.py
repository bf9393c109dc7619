"""Trigger rules as the API reads and writes them (docs/triggers-and-worker.md)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from cxloop.collection.channel_fields import InvitationChannel
from cxloop.collection.enums import Channel
from cxloop.core.clock import JsonDateTime
from cxloop.core.int_bounds import JsonId
from cxloop.governance.channels import registry as channels
from cxloop.triggers.enums import ConditionOp, TriggerKind

Key = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$",
        description="A stable identifier: lowercase letters, digits, '-' and '_', up to 64 characters.",
    ),
]
# Only channels that reach the customer without them visiting us can be triggered (a widget prompt cannot be sent).
SENDABLE = tuple(Channel(name) for name in sorted(channels.addressed()))


class Condition(BaseModel):
    """One property test on the event, e.g. {"property": "wait_minutes", "op": ">", "value": 30}."""

    model_config = ConfigDict(extra="forbid")

    property: str = Field(min_length=1, max_length=200, description="Property name; dots reach into objects.")
    op: ConditionOp
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if self.op in (ConditionOp.is_in, ConditionOp.not_in) and not isinstance(self.value, list):
            raise ValueError(f'\'{self.op.value}\' needs a list value, e.g. ["billing", "refund"]')
        if self.op == ConditionOp.exists and not isinstance(self.value, bool | None):
            raise ValueError("'exists' takes true (the default) or false")
        ordered = (ConditionOp.gt, ConditionOp.ge, ConditionOp.lt, ConditionOp.le)
        if self.op in ordered and (isinstance(self.value, bool) or not isinstance(self.value, int | float | str)):
            raise ValueError(f"'{self.op.value}' compares with a number or a string")
        return self


class _RuleFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = None
    survey_id: JsonId | None = None
    channel: InvitationChannel | None = None
    fallbacks: list[InvitationChannel] | None = Field(
        default=None, max_length=2, description="Channels tried in order when the first cannot be used (no consent)."
    )
    touchpoint_id: JsonId | None = None
    segment_id: JsonId | None = Field(default=None, description="Only customers in this segment are invited.")
    event_name: str | None = Field(default=None, min_length=1, max_length=200)
    conditions: list[Condition] | None = Field(default=None, max_length=20)
    delay_seconds: StrictInt | None = Field(default=None, ge=0, le=90 * 86400)
    anchor: str | None = Field(
        default=None,
        max_length=232,
        description="Time rules: 'signup_date', 'account_renewal_date' or 'first_event:<event name>'.",
    )
    offset_days: StrictInt | None = Field(default=None, ge=-3650, le=3650, description="Days after (negative: before).")
    repeat_days: StrictInt | None = Field(default=None, ge=1, le=3650, description="Then every N days.")


class TriggerRuleCreate(_RuleFields):
    """A new rule. Event rules need event_name; time rules need anchor and offset_days."""

    key: Key
    name: str = Field(min_length=1, max_length=200)
    kind: TriggerKind
    survey_id: JsonId
    channel: InvitationChannel


class TriggerRuleUpdate(_RuleFields):
    """Fields to change; the kind and key stay. Send null for touchpoint_id, segment_id or repeat_days to clear."""


class TriggerRuleRead(BaseModel):
    id: int
    key: str
    name: str
    kind: TriggerKind
    enabled: bool
    survey_id: int
    channel: str
    fallbacks: list[str]
    touchpoint_id: int | None
    segment_id: int | None
    event_name: str | None
    conditions: list[dict[str, Any]]
    delay_seconds: int
    anchor: str | None
    offset_days: int | None
    repeat_days: int | None
    created_at: JsonDateTime
    updated_at: JsonDateTime


class TriggerRulePage(BaseModel):
    items: list[TriggerRuleRead]
    total: int
