"""Pydantic I/O for journeys, their ordered stages and touchpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from cxloop.core.int_bounds import JsonId, JsonPosition
from cxloop.journeys.enums import MetricKind

Key = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$",
        description="lower-case letters, digits, '-' and '_' (at most 64), unique within the journey",
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Timing = Annotated[str, Field(max_length=500, description="when to ask, in plain words")]


class TouchpointSpec(BaseModel):
    """A touchpoint created together with its stage."""

    model_config = ConfigDict(extra="forbid")

    key: Key
    name: Name
    recommended_metric: MetricKind | None = None
    recommended_timing: Timing = ""


class TouchpointCreate(TouchpointSpec):
    """A touchpoint in an existing stage, named by `stage_id` or by `stage` (its key)."""

    stage_id: JsonId | None = None
    stage: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one_stage(self) -> TouchpointCreate:
        if self.stage_id is None and self.stage is None:
            raise PydanticCustomError("stage_required", "give the stage, by stage_id or by stage (its key)")
        return self


class TouchpointUpdate(BaseModel):
    """A partial change; `recommended_metric: null` clears the metric."""

    model_config = ConfigDict(extra="forbid")

    key: Key | None = None
    name: Name | None = None
    stage_id: JsonId | None = None
    stage: str | None = Field(default=None, max_length=64)
    recommended_metric: MetricKind | None = None
    recommended_timing: Timing | None = None


class TouchpointRead(BaseModel):
    id: int
    journey_id: int
    stage_id: int
    stage: str
    key: str
    name: str
    recommended_metric: MetricKind | None
    recommended_timing: str


class StageCreate(BaseModel):
    """A stage; `position` is 0-based (the stages after it move down), appended when left out."""

    model_config = ConfigDict(extra="forbid")

    key: Key
    name: Name
    position: JsonPosition | None = Field(default=None)
    touchpoints: list[TouchpointSpec] = Field(default_factory=list, max_length=100)


class StageUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key | None = None
    name: Name | None = None
    position: JsonPosition | None = Field(default=None)


class StageOrder(BaseModel):
    """Every stage id of the journey, in the new order."""

    model_config = ConfigDict(extra="forbid")

    stage_ids: list[JsonId] = Field(min_length=1)


class StageRead(BaseModel):
    id: int
    journey_id: int
    key: str
    name: str
    position: int
    touchpoints: list[TouchpointRead]


class JourneyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    name: Name
    description: str = Field(default="", max_length=2000)
    stages: list[StageCreate] = Field(default_factory=list, max_length=50)


class JourneyUpdate(BaseModel):
    """A partial change; `is_default: true` makes this the default journey (there is always exactly one)."""

    model_config = ConfigDict(extra="forbid")

    key: Key | None = None
    name: Name | None = None
    description: str | None = Field(default=None, max_length=2000)
    is_default: Literal[True] | None = None


class JourneySummary(BaseModel):
    id: int
    key: str
    name: str
    description: str
    is_default: bool
    stage_count: int
    touchpoint_count: int


class JourneyPage(BaseModel):
    items: list[JourneySummary]
    total: int


class JourneyRead(BaseModel):
    """A journey with its stages in order, each with its touchpoints."""

    id: int
    key: str
    name: str
    description: str
    is_default: bool
    stages: list[StageRead]
