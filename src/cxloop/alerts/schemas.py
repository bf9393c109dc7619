"""Alert rules in and out of the API: conditions (all must hold), actions, the dry run and fired alerts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from cxloop.alerts.enums import AlertSource, RuleSource
from cxloop.alerts.fields import Op
from cxloop.cases.enums import CasePriority
from cxloop.core.clock import JsonDateTime
from cxloop.core.int_bounds import JsonId, JsonInt, JsonVersion

Text = Annotated[str, Field(min_length=1, max_length=200)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Tag = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.:-]*$")]
MAX_DAYS = 365


class Condition(BaseModel):
    """`field op value`, e.g. `{"field": "nps", "op": "<=", "value": 6}`; `in` takes a list."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=64)
    op: Op
    value: JsonInt | Number | Text | list[JsonInt | Number | Text] = Field(
        union_mode="left_to_right", description="a number, text of at most 200 characters, or a list of them for `in`"
    )


class OpenCase(BaseModel):
    """Open a case for the customer (or attach the item to their open one), with this priority. Not for anomaly
    rules: no customer is attached to an anomaly."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["open_case"]
    priority: CasePriority = CasePriority.normal


class Notify(BaseModel):
    """Emit `alert.fired`: webhook, Slack and email destinations subscribed to it are told (docs/webhooks.md)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["notify"]


class AddTags(BaseModel):
    """Tag the alert (and the case it opens or joins) with these tags."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["tag"]
    tags: list[Tag] = Field(min_length=1, max_length=20)


Action = Annotated[OpenCase | Notify | AddTags, Field(discriminator="kind")]


class RuleDraft(BaseModel):
    """What a rule is: every condition must hold for the actions to run. `source` says what it is evaluated on
    (stored responses and feedback items, or anomalies) and so which fields it can name; it is set at creation."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    source: RuleSource = RuleSource.feedback
    conditions: list[Condition] = Field(min_length=1, max_length=20)
    actions: list[Action] = Field(min_length=1, max_length=3)


class RuleCreate(RuleDraft):
    enabled: bool = False  # try it first (POST /alert-rules/{id}/try), then switch it on


class RuleUpdate(BaseModel):
    """Fields not sent stay; a change of name, conditions or actions makes a new version."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    conditions: list[Condition] | None = Field(default=None, min_length=1, max_length=20)
    actions: list[Action] | None = Field(default=None, min_length=1, max_length=3)
    enabled: bool | None = None


class RuleRead(RuleCreate):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: JsonId
    version: JsonVersion
    created_at: JsonDateTime
    updated_at: JsonDateTime


class TryDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: RuleDraft
    days: int = Field(default=30, ge=1, le=MAX_DAYS, strict=True)


class TryResult(BaseModel):
    """How many stored items of the last `days` days the rule matches ("would have fired N times"): responses and
    feedback items received, or anomalies detected, since `since`."""

    days: int
    since: JsonDateTime
    matches: int
    responses: int
    feedback: int
    anomalies: int
    examined: int


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: JsonId
    rule_id: JsonId
    rule_version: JsonVersion
    source: AlertSource
    source_id: JsonId
    customer_id: JsonId | None
    case_id: JsonId | None
    tags: list[str]
    fired_at: JsonDateTime
