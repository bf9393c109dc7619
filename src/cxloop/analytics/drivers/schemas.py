"""What a driver analysis answers (GET /api/v1/analytics/drivers, `cxloop analyze drivers --json`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from cxloop.analytics.enums import MetricKind
from cxloop.core.clock import JsonDateTime


class DriverRead(BaseModel):
    """One driver. `effect` is how much higher (or lower) the score of a response with it is, other drivers held
    equal, in the metric's units (NPS and CSAT points, CES on 1-7); `impact` is what the metric would gain if the
    responses with it scored like those without (effect x share, sign flipped), with its 95% interval: positive is
    a pain point worth fixing, negative a strength. A level of a touchpoint, stage, channel or plan is compared with
    `reference`, the most answered level."""

    key: str = Field(description="family:id, e.g. theme:12, touchpoint:3, helpdesk:long_wait")
    family: str
    label: str
    reference: str | None = None
    n: int = Field(description="Responses with this driver.")
    share: float = Field(description="Their share of all responses analysed (0-1).")
    effect: float
    effect_ci_low: float
    effect_ci_high: float
    impact: float
    impact_ci_low: float
    impact_ci_high: float
    standardized: float = Field(description="Effect x sd(driver) / sd(score): comparable across drivers.")
    significant: bool = Field(description="The 95% interval of the effect leaves out 0.")
    small_sample: bool = Field(description="n below the metric's minimum: shown, but too few to read.")
    sentence: str


class DriverSkipped(BaseModel):
    """A candidate left out of the model, and why (too few responses with or without it, or collinear)."""

    key: str
    label: str
    n: int
    reason: str


class FamilyShare(BaseModel):
    """How much of the explained variation a family of drivers accounts for (Shapley R², sums to the model's R²)."""

    family: str
    r2_share: float


class ModelFit(BaseModel):
    """How well the drivers predict the score: R² on the responses it was fitted on and on a held-out 20% it was
    not; for NPS also how often the held-out answer's category (promoter, passive, detractor) is the predicted one,
    against always guessing the commonest category."""

    r2: float
    r2_held_out: float
    n_train: int
    n_held_out: int
    accuracy_held_out: float | None = None
    baseline_accuracy: float | None = None


class DriverReport(BaseModel):
    """The drivers of one metric in one scope, the largest impact first; `enough` is false (and the drivers empty)
    when the data cannot support the analysis, and `explanation` then says what is missing."""

    metric: MetricKind
    segment: str | None
    scope: str
    start: JsonDateTime | None
    end: JsonDateTime | None
    n: int
    value: float | None = Field(description="The metric over the responses analysed.")
    min_n: int = Field(description="Responses the analysis needs at least.")
    min_driver_n: int = Field(description="Responses with and without a driver it needs to enter the model.")
    enough: bool
    explanation: str
    fit: ModelFit | None = None
    families: list[FamilyShare] = Field(default_factory=list)
    drivers: list[DriverRead] = Field(default_factory=list)
    skipped: list[DriverSkipped] = Field(default_factory=list)
