from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from cxloop.analytics.enums import MetricKind
from cxloop.analytics.schemas import MetricValue
from cxloop.core.clock import JsonDate, JsonDateTime
from cxloop.experiments.enums import ExperimentStatus

Key = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
MAX_VARIANTS = 10


class Variant(BaseModel):
    """One arm of an experiment; its share of customers is weight / sum of weights."""

    key: Key
    weight: float = Field(default=1.0, gt=0, le=1_000_000, allow_inf_nan=False)


class ExperimentCreate(BaseModel):
    """A new experiment: 2-10 variants (the first is the control), the metric compared, optionally one segment (only
    its members take part), start (today when left out) and end dates (open when left out)."""

    key: Key
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    metric: MetricKind
    variants: list[Variant] = Field(min_length=2, max_length=MAX_VARIANTS)
    segment: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    hypothesis: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    start_date: JsonDate | None = None
    end_date: JsonDate | None = None

    @field_validator("variants")
    @classmethod
    def _distinct(cls, variants: list[Variant]) -> list[Variant]:
        keys = [v.key for v in variants]
        if len(set(keys)) != len(keys):
            raise ValueError("each variant needs its own key")
        return variants


class ExperimentRead(BaseModel):
    """An experiment as stored; `segment` is the segment's key (null: every customer takes part)."""

    id: int
    key: str
    name: str
    metric: MetricKind
    variants: list[Variant]
    segment: str | None
    hypothesis: str
    status: ExperimentStatus
    start_date: JsonDate
    end_date: JsonDate | None
    created_at: JsonDateTime
    stopped_at: JsonDateTime | None


class AssignmentRead(BaseModel):
    """The variant of one customer (by external id): the same answer on every call, before, during and after the
    experiment. `variant` is null when the customer is outside the experiment's segment; `active` is false before
    the start date and once stopped or ended (`reason` says which), so integrators show the default then."""

    experiment: str
    customer: str
    variant: str | None
    active: bool
    reason: str = ""


class VariantResult(BaseModel):
    """One variant's metric over its customers' latest answers in the experiment's dates (each customer once)."""

    key: str
    weight: float
    value: MetricValue


class VariantComparison(BaseModel):
    """variant - control: the difference with its 95% interval and two-sided p-value. With several treatment
    variants `p_adjusted` is Bonferroni-adjusted for their number and decides the verdict (significant or within
    noise); null figures mean too few answers, and `sentence` says what is missing."""

    variant: str
    control: str
    difference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    verdict: str = "too few to read"
    sentence: str


class ExperimentResults(BaseModel):
    """The metric per variant and each treatment against the control, over responses from `start` to `end`."""

    experiment: ExperimentRead
    start: JsonDate
    end: JsonDate
    min_n: int
    variants: list[VariantResult]
    comparisons: list[VariantComparison]


class VariantNeed(BaseModel):
    key: str
    weight: float
    responses: int


class SamplePlan(BaseModel):
    """How many responses each variant needs to detect `mde` (in the metric's units) with `power` at two-sided
    `alpha`, from the spread of the last `baseline_days` days (`sd` per response), and how many days that takes at
    the recent rate (`responses_per_day` of the experiment's customers; null days: no recent responses)."""

    metric: MetricKind
    segment: str | None
    mde: float
    alpha: float
    power: float
    baseline_days: int
    baseline: MetricValue
    sd: float
    sd_source: str
    variants: list[VariantNeed]
    total_responses: int
    responses_per_day: float
    days: int | None
    explanation: str
