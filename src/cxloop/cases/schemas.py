from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxloop.cases.enums import CaseAction, CasePriority, CaseStatus, TriggerSource, VerificationStatus
from cxloop.core.clock import JsonDateTime
from cxloop.core.int_bounds import JsonId

_KEY = r"^[a-z0-9][a-z0-9_-]*$"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user (id and name), or the system ('routing', 'sla')."""

    name: str
    user_id: int | None = None


SYSTEM = Actor("cxloop")


@dataclass(frozen=True)
class Scope:
    """The cases a caller may see and change: those of `team_ids`, or every case when None (analysts, admins)."""

    team_ids: frozenset[int] | None = None

    def allows(self, team_id: int | None) -> bool:
        return self.team_ids is None or (team_id is not None and team_id in self.team_ids)


EVERY_CASE = Scope()


class TriggerRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: TriggerSource
    id: JsonId


class RoutingContext(BaseModel):
    """What routing rules may look at besides the customer (segments, account owner)."""

    model_config = ConfigDict(extra="forbid")

    survey_id: JsonId | None = None
    touchpoint_id: JsonId | None = None
    themes: list[str] = Field(default_factory=list, max_length=50)


class CaseOpen(BaseModel):
    """Open a case for a customer's negative feedback, or join the open case they have (docs/cases.md)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: JsonId
    triggers: list[TriggerRef] = Field(default_factory=list, max_length=100)
    title: str = Field(default="", max_length=300)
    priority: CasePriority = CasePriority.normal
    tags: list[str] = Field(default_factory=list, max_length=50)
    context: RoutingContext = Field(default_factory=RoutingContext)
    team_id: JsonId | None = None  # given: routing is skipped


class CaseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    priority: CasePriority | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    root_cause: str | None = Field(default=None, max_length=64)


class CaseTransition(BaseModel):
    """The body of POST /cases/{id}/<action>: `resolution` is required to resolve."""

    model_config = ConfigDict(extra="forbid")

    resolution: str | None = Field(default=None, min_length=1, max_length=10_000)
    root_cause: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=10_000)


class CaseNote(BaseModel):
    """A note on a case; `response: true` records a reply to the customer (the first one stops the SLA clock)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    response: bool = False


class CaseAssign(BaseModel):
    """Give the case to a member of its team, or to another team (and, optionally, one of its members)."""

    model_config = ConfigDict(extra="forbid")

    owner_user_id: JsonId | None = None
    team_id: JsonId | None = None

    @model_validator(mode="after")
    def _something(self) -> CaseAssign:
        if self.owner_user_id is None and self.team_id is None:
            raise ValueError("give owner_user_id, team_id or both")
        return self


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: JsonDateTime
    actor: str
    actor_user_id: int | None
    kind: str
    detail: dict[str, Any]
    note: str | None


class CaseRead(BaseModel):
    id: int
    customer_id: int
    team_id: int | None
    owner_user_id: int | None
    status: CaseStatus
    priority: CasePriority
    title: str
    root_cause: str | None
    resolution: str | None
    tags: list[str]
    routing: dict[str, Any]
    created_at: JsonDateTime
    updated_at: JsonDateTime
    acknowledged_at: JsonDateTime | None
    first_response_at: JsonDateTime | None
    resolved_at: JsonDateTime | None
    closed_at: JsonDateTime | None
    acknowledge_due_at: JsonDateTime
    first_response_due_at: JsonDateTime
    close_due_at: JsonDateTime
    reopened: int
    held_out: bool  # held out of follow-ups (the holdout group), decided when the case opened
    triggers: list[TriggerRef]
    actions: list[CaseAction]


class VerificationRead(BaseModel):
    """The re-survey after resolution: the score that opened the case and the answer, on the same metric."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: VerificationStatus
    reason: str | None
    metric: str | None
    channel: str | None
    before_score: int | None
    after_score: int | None
    survey_id: int | None
    invitation_id: int | None
    invitation_status: str | None = None  # scheduled, sent, opened, answered, expired, ... (the invitation's own)
    response_id: int | None
    created_at: JsonDateTime
    answered_at: JsonDateTime | None


class CaseDetail(CaseRead):
    activity: list[ActivityRead]
    verification: VerificationRead | None = None


class CasePage(BaseModel):
    """One page, newest first; pass `next_cursor` as `cursor` for the next (null: the last page)."""

    items: list[CaseRead]
    next_cursor: str | None


class CaseOpened(BaseModel):
    """What open_case did: `created` False when the feedback joined the customer's open case (or was there)."""

    case: CaseRead
    created: bool


class RootCauseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=_KEY)
    name: str = Field(min_length=1, max_length=200)


class RootCauseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    is_active: bool | None = None


class RootCauseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    is_active: bool


class RoutingConditions(BaseModel):
    """Every condition given must hold; none given: the rule matches every case (the fallback team)."""

    model_config = ConfigDict(extra="forbid")

    segment: str | None = Field(default=None, max_length=200)  # the customer is a member of the segment (key)
    touchpoint_id: JsonId | None = None
    survey_id: JsonId | None = None
    theme: str | None = Field(default=None, max_length=200)
    account_owner: bool = False  # the customer's account has an owner who is a user: route to them

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_defaults=True)


class RoutingRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    conditions: RoutingConditions = Field(default_factory=RoutingConditions)
    team_id: JsonId | None = None  # None only for an account-owner rule: the owner's first team

    @model_validator(mode="after")
    def _team(self) -> RoutingRuleIn:
        if self.team_id is None and not self.conditions.account_owner:
            raise ValueError("team_id is required, except for an account_owner rule")
        return self


class RoutingRuleRead(RoutingRuleIn):
    id: int
    position: int


class SlaPolicyIn(BaseModel):
    """Targets in working minutes of the team; team_id/priority None: any. Defaults: the playbook's 2 h/24 h/48 h."""

    model_config = ConfigDict(extra="forbid")

    team_id: JsonId | None = None
    priority: CasePriority | None = None
    acknowledge_minutes: int = Field(default=120, ge=1, le=525_600)
    first_response_minutes: int = Field(default=1440, ge=1, le=525_600)
    close_minutes: int = Field(default=2880, ge=1, le=525_600)
    warn_minutes: int = Field(default=30, ge=0, le=10_080)
    reassign_to_lead: bool = False  # a breach gives the case to the team lead
    reassign_to_next_agent: bool = False  # a breach gives the case to the team's next agent by its routing
    verify_after_days: int = Field(
        default=7, ge=0, le=365, description="re-survey the customer this many days after resolution; 0: never"
    )
    holdout_percent: float = Field(default=0.0, ge=0, le=50, description="share of new cases held out of follow-ups")

    @model_validator(mode="after")
    def _one_reassignment(self) -> SlaPolicyIn:
        if self.reassign_to_lead and self.reassign_to_next_agent:
            raise ValueError("reassign_to_lead and reassign_to_next_agent: choose one")
        return self


class SlaPolicyRead(SlaPolicyIn):
    id: int | None  # None: the built-in default


class Share(BaseModel):
    """A percentage of n with its 95 % Wilson interval (None when n < 2) next to its target."""

    successes: int
    n: int
    percent: float | None
    interval: tuple[float, float] | None
    target: float


class Duration(BaseModel):
    """Working hours from creation to a moment, over the n cases that reached it."""

    n: int
    median_hours: float | None
    p90_hours: float | None


class SlaReportRow(BaseModel):
    group: str  # team key or owner email; "(none)" for cases without one
    group_id: int | None
    cases: int
    acknowledged_within_2h: Share
    acknowledged_within_6h: Share
    closed_within_48h: Share
    time_to_acknowledge: Duration
    time_to_close: Duration


class SlaReport(BaseModel):
    by: str
    since: JsonDateTime | None
    until: JsonDateTime | None
    as_of: JsonDateTime
    rows: list[SlaReportRow]


class RoutingRules(BaseModel):
    """The whole ordered list of routing rules (PUT replaces it)."""

    model_config = ConfigDict(extra="forbid")

    items: list[RoutingRuleIn] = Field(max_length=200)


class SlaPolicies(BaseModel):
    """Every SLA policy (PUT replaces them); without a catch-all the built-in default applies."""

    model_config = ConfigDict(extra="forbid")

    items: list[SlaPolicyIn] = Field(max_length=500)


class RecoveryShare(BaseModel):
    """Of `n` verified unhappy customers (detractors for NPS), how many `recovered` by the metric's own threshold,
    as a percent with its 95 % Wilson interval (None when n < 2); `small` when n is below the report's minimum."""

    group: str
    group_id: int | None
    n: int
    recovered: int
    percent: float | None
    interval: tuple[float, float] | None
    small: bool
    passives: int | None = None  # NPS only: became 7-8
    promoters: int | None = None  # NPS only: became 9-10


class RecoveryMetric(BaseModel):
    metric: str
    unhappy: str  # which before-scores count as unhappy, e.g. "0-6"
    recovered_when: str  # which after-scores count as recovered, e.g. "7-10"
    total: RecoveryShare
    by_team: list[RecoveryShare]
    by_root_cause: list[RecoveryShare]
    by_channel: list[RecoveryShare]


class RecoveryReport(BaseModel):
    since: JsonDateTime | None
    until: JsonDateTime | None
    min_n: int  # shares of fewer answers are flagged `small`
    metrics: list[RecoveryMetric]


class ArmFigure(BaseModel):
    """One arm's figure: a churn rate in percent (Wilson interval) or a mean score (t interval), over n customers."""

    n: int
    value: float | None
    interval: tuple[float, float] | None
    events: int | None = None  # churn: how many churned


class Comparison(BaseModel):
    """Followed up minus held out, its 95 % interval and a two-sided test; `sentence` says it in words."""

    measure: str  # churn or the metric of the score
    test: str
    followed_up: ArmFigure
    held_out: ArmFigure
    difference: float | None
    interval: tuple[float, float] | None
    p_value: float | None
    significant: bool
    enough_data: bool
    sentence: str


class HoldoutReport(BaseModel):
    since: JsonDateTime | None
    until: JsonDateTime | None
    min_per_arm: int
    customers: int  # customers counted (the first case of each in the window, held out or followed up)
    not_followed_up: int  # customers whose first case was neither held out nor followed up (left out)
    churn: Comparison
    scores: list[Comparison]
