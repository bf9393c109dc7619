"""What the churn model reports (its holdout evaluation) and what it says about each customer."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from cxloop.core.clock import JsonDate, JsonDateTime


class ChurnStatus(StrEnum):
    trained = "trained"  # a model is stored and its evaluation below
    not_enough_data = "not_enough_data"  # too few churned (or staying) customers: no model, see `minimum`
    not_trained = "not_trained"  # no model has been trained yet


class Interval(BaseModel):
    """A figure with its 95% interval (bootstrap over the holdout customers)."""

    value: float
    low: float
    high: float


class Window(BaseModel):
    """One snapshot: the customers with us on `snapshot`, and how many churned from then to `ends` (inclusive)."""

    snapshot: JsonDate
    ends: JsonDate
    customers: int
    churned: int


class Minimum(BaseModel):
    """What the model needs before it is trained."""

    churned_in_training: int
    per_class_in_holdout: int


class CalibrationBin(BaseModel):
    """Holdout customers whose predicted probability falls in [low, high): mean predicted vs observed churn rate
    (Wilson 95% interval); `small_sample` below 30 customers."""

    low: float
    high: float
    n: int
    predicted: float | None
    observed: float | None
    observed_low: float | None
    observed_high: float | None
    small_sample: bool


class Baseline(BaseModel):
    """What the model must beat: the rule "a detractor (latest NPS 0-6) is at risk", and predicting the training
    base rate for everyone."""

    rule: str
    rule_auc: Interval
    base_rate: float
    base_rate_brier: float


class FeatureWeight(BaseModel):
    """A feature's weight in the stored model: log-odds per standard deviation, and the odds ratio it implies."""

    feature: str
    label: str
    group: str
    coefficient: float
    odds_ratio: float


class Factor(BaseModel):
    """One reason a customer's risk is above average: the feature's value and its contribution to the log-odds
    (coefficient x standardised value)."""

    feature: str
    label: str
    value: float | None
    contribution: float


class ChurnReport(BaseModel):
    """The churn model's evaluation on a later snapshot it did not train on (docs/churn.md), or why there is no
    model. Figures are null unless status is trained."""

    status: ChurnStatus
    explanation: str
    horizon_days: int
    minimum: Minimum
    model_id: int | None = None
    trained_at: JsonDateTime | None = None
    training: Window | None = None
    holdout: Window | None = None
    auc: Interval | None = None
    brier: Interval | None = None
    baseline: Baseline | None = None
    auc_lift: Interval | None = Field(None, description="model AUC minus the detractor rule's AUC")
    brier_skill: Interval | None = Field(None, description="base-rate Brier minus model Brier; > 0 is better")
    better_than_baseline: bool | None = None
    calibration_method: str | None = None
    calibration: list[CalibrationBin] = Field(default_factory=list)
    weights: list[FeatureWeight] = Field(default_factory=list)


class ChurnCustomerRead(BaseModel):
    """A customer's latest churn probability within the model's horizon and the factors raising it most."""

    customer_id: int
    external_id: str
    name: str | None
    probability: float
    top_factors: list[Factor]
    scored_at: JsonDateTime


class ChurnCustomerPage(BaseModel):
    items: list[ChurnCustomerRead]
    total: int
    limit: int
    offset: int
    model_id: int | None
    horizon_days: int | None


class ScoreRun(BaseModel):
    """One scoring run: how many customers were scored, and by which model."""

    model_id: int
    scored: int
    scored_at: JsonDateTime
