"""What the outcome, operations and agent analyses answer (API and `cxloop analyze ... --json`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from cxloop.analytics.enums import MetricKind
from cxloop.analytics.schemas import MetricValue
from cxloop.core.clock import JsonDate


class Rate(BaseModel):
    """`events` of `n` as a percentage with its Wilson 95% interval; `small_sample` below the minimum n."""

    n: int
    events: int
    pct: float | None
    ci_low: float | None
    ci_high: float | None
    small_sample: bool


class RatioRead(BaseModel):
    """A ratio of two rates (worst band over best band) with its 95% interval and p-value; `significant` when the
    interval excludes 1."""

    value: float
    ci_low: float
    ci_high: float
    p_value: float
    significant: bool


class MoneyMean(BaseModel):
    """A mean amount with its 95% t interval (null below n = 2)."""

    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    total: float
    small_sample: bool


class BandChurn(BaseModel):
    """Churn within the window of the customers whose latest score before it fell in this band."""

    band: str
    churn: Rate
    revenue: float = Field(description="Their revenue in the year before the window.")
    lifetime_value: float = Field(0.0, description="The sum of their latest lifetime value estimates.")


class ChurnByBand(BaseModel):
    """Churn per score band for one group of customers (all, or one segment), and worst band vs best band."""

    scope: str
    scope_key: str | None
    bands: list[BandChurn]
    ratio: RatioRead | None
    q_value: float | None = Field(None, description="Benjamini-Hochberg over every scope's ratio.")
    explanation: str


class RevenueAtRisk(BaseModel):
    """What the worst band's customers are worth (`basis`: their revenue in the year before the window, or, when
    no scored customer has revenue recorded, their latest lifetime value estimates), the part their churn rate puts
    at risk (with the rate's interval), and what exceeds the best band's churn rate. `basis` null: nothing recorded."""

    band: str
    customers: int
    basis: str | None
    revenue: float
    at_risk: float | None = None
    at_risk_low: float | None = None
    at_risk_high: float | None = None
    excess_over_best: float | None = None
    explanation: str = ""


class ValueByBand(BaseModel):
    """Lifetime value (each customer's latest estimate) by score band in one scope."""

    scope: str
    scope_key: str | None
    band: str
    value: MoneyMean


class OutcomeAnalysis(BaseModel):
    """CX joined to business outcomes. `ready` is false when the data cannot support the churn figures; then
    `explanation` says what is missing and the minimum needed."""

    metric: MetricKind
    window_start: JsonDate
    window_end: JsonDate
    score_since: JsonDate
    ready: bool
    explanation: str
    min_n: int
    customers: int
    churned: int
    churn: list[ChurnByBand]
    revenue_at_risk: RevenueAtRisk | None
    lifetime_value: list[ValueByBand]
    findings: list[str]


class MeasureBin(BaseModel):
    """Responses whose linked event's measure is in [`low`, `high`] (the observed range of the bin)."""

    low: float
    high: float
    value: MetricValue


class CorrelationRead(BaseModel):
    """Spearman rank correlation of the measure with the score: rho, 95% interval, p-value; `q_value` after
    Benjamini-Hochberg over every measure tested in the same request."""

    n: int
    rho: float
    ci_low: float
    ci_high: float
    p_value: float
    q_value: float | None = None
    significant: bool = False


class MeasureAnalysis(BaseModel):
    """One numeric event property against the score of the response that followed the event."""

    event: str
    measure: str
    metric: MetricKind
    pairs: int
    bins: list[MeasureBin]
    correlation: CorrelationRead | None
    explanation: str


class OperationsAnalysis(BaseModel):
    """Every measure tested (or the one asked for); `findings` are the significant ones in words."""

    metric: MetricKind
    window_days: int
    min_n: int
    measures: list[MeasureAnalysis]
    findings: list[str]
    explanation: str


class Distribution(BaseModel):
    """Median and 90th percentile with distribution-free 95% intervals (null when n is too small for one)."""

    n: int
    median: float | None
    median_low: float | None
    median_high: float | None
    p90: float | None
    p90_low: float | None
    p90_high: float | None
    small_sample: bool


class AgentRow(BaseModel):
    """One agent or team: scores of the responses after their tickets, their difference from everyone else
    (percentage points of CSAT / NPS points, 95% interval) and their wait and resolution times."""

    group: str
    name: str
    tickets: int
    csat: MetricValue
    nps: MetricValue
    csat_vs_rest: float | None = None
    csat_vs_rest_low: float | None = None
    csat_vs_rest_high: float | None = None
    csat_q_value: float | None = None
    wait: Distribution
    resolution: Distribution


class AgentAnalysis(BaseModel):
    """Support agents and teams. `wait_measure` and `resolution_measure` name the ticket properties read (found in
    the data); `findings` are the agents and teams whose CSAT differs from the rest after Benjamini-Hochberg."""

    event: str
    window_days: int
    min_n: int
    wait_measure: str | None
    resolution_measure: str | None
    overall: AgentRow | None = Field(None, description="Every ticket, named or not (group and name 'all').")
    agents: list[AgentRow]
    teams: list[AgentRow]
    findings: list[str]
    explanation: str
