"""Builders for journeys, stages and touchpoints, created through the journeys service.

Every test database already holds the default journey (the `db` fixture); these add others, or stages and
touchpoints to any journey (the default one when none is named). Keys are unique per call unless given.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from cxloop.journeys import service as journeys
from cxloop.journeys.models import Journey, Stage, Touchpoint
from cxloop.journeys.schemas import JourneyCreate, StageCreate, TouchpointCreate, TouchpointSpec

_numbers = count(1)


def _key(prefix: str) -> str:
    return f"{prefix}-{next(_numbers)}"


def touchpoint_spec(**overrides: Any) -> TouchpointSpec:
    """A touchpoint to create with its stage; override any TouchpointSpec field."""
    overrides.setdefault("key", _key("touchpoint"))
    overrides.setdefault("name", overrides["key"].title())
    return TouchpointSpec(**overrides)


def stage_create(**overrides: Any) -> StageCreate:
    """A stage with one touchpoint (pass `touchpoints=[]` for none); override any StageCreate field."""
    overrides.setdefault("key", _key("stage"))
    overrides.setdefault("name", overrides["key"].title())
    overrides.setdefault("touchpoints", [touchpoint_spec()])
    return StageCreate(**overrides)


def journey_create(**overrides: Any) -> JourneyCreate:
    """A journey with two stages of one touchpoint each; override any JourneyCreate field."""
    overrides.setdefault("key", _key("journey"))
    overrides.setdefault("name", overrides["key"].title())
    overrides.setdefault("stages", [stage_create(), stage_create()])
    return JourneyCreate(**overrides)


def make_journey(session: Session, **overrides: Any) -> Journey:
    return journeys.create_journey(session, data=journey_create(**overrides))


def _journey_id(session: Session, journey_id: int | None) -> int:
    return journey_id if journey_id is not None else journeys.ensure_default_journey(session).id


def make_stage(session: Session, *, journey_id: int | None = None, **overrides: Any) -> Stage:
    """A stage appended to the journey (default: the default journey)."""
    return journeys.create_stage(session, journey_id=_journey_id(session, journey_id), data=stage_create(**overrides))


def make_touchpoint(session: Session, *, stage: Stage | None = None, **overrides: Any) -> Touchpoint:
    """A touchpoint in `stage` (default: a new stage of the default journey)."""
    stage = stage or make_stage(session, touchpoints=[])
    overrides.setdefault("key", _key("touchpoint"))
    overrides.setdefault("name", overrides["key"].title())
    return journeys.create_touchpoint(
        session, journey_id=stage.journey_id, data=TouchpointCreate(stage_id=stage.id, **overrides)
    )
