from __future__ import annotations

from pydantic import BaseModel

from cxloop.core.clock import JsonDateTime


class Evidence(BaseModel):
    """One number the score rests on: a count, or a share in % of `n` with its 95% Wilson interval (`small_sample`
    when n is below the metrics' minimum); a share of every touchpoint or every customer is a census, without one."""

    name: str
    label: str
    value: float
    unit: str  # "count" or "%"
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    small_sample: bool = False


class PillarRead(BaseModel):
    """One pillar (listen, understand, act) on 1-5: the levels reached, the evidence, and the next concrete step
    (the first unmet requirement of the next level)."""

    pillar: str
    level: int
    reached: list[str]
    missing: list[str]
    next_step: str
    evidence: list[Evidence]


class MaturityRead(BaseModel):
    """The self-assessment over the `window_days` days before `as_of`; `level` is the weakest pillar's."""

    as_of: JsonDateTime
    window_days: int
    level: int
    pillars: list[PillarRead]
    summary: str
