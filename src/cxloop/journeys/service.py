"""Journeys, their ordered stages and touchpoints."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxloop.core.errors import FieldError, InvalidInput
from cxloop.journeys import deletion
from cxloop.journeys.defaults import DEFAULT_JOURNEY_KEY, DEFAULT_JOURNEY_NAME, DEFAULT_STAGES
from cxloop.journeys.enums import MetricKind
from cxloop.journeys.errors import JourneyConflict, JourneyNotFound, StageNotFound, TouchpointNotFound
from cxloop.journeys.models import Journey, Stage, Touchpoint
from cxloop.journeys.schemas import (
    JourneyCreate,
    JourneyRead,
    JourneySummary,
    JourneyUpdate,
    StageCreate,
    StageRead,
    StageUpdate,
    TouchpointCreate,
    TouchpointRead,
    TouchpointUpdate,
)
from cxloop.storage import references


def get_default_journey(session: Session) -> Journey | None:
    return session.scalar(select(Journey).where(Journey.is_default.is_(True)))


def ensure_default_journey(session: Session) -> Journey:
    """The default journey, created with its stages and touchpoints when missing. Safe to call repeatedly."""
    journey = get_default_journey(session)
    if journey is not None:
        return journey
    journey = session.scalar(select(Journey).where(Journey.key == DEFAULT_JOURNEY_KEY))
    if journey is None:
        journey = Journey(key=DEFAULT_JOURNEY_KEY, name=DEFAULT_JOURNEY_NAME, description="", is_default=True)
        session.add(journey)
        session.flush()
        for position, spec in enumerate(DEFAULT_STAGES):
            stage = Stage(journey_id=journey.id, key=spec["key"], name=spec["name"], position=position)
            session.add(stage)
            session.flush()
            for tp in spec["touchpoints"]:
                session.add(
                    Touchpoint(
                        journey_id=journey.id,
                        stage_id=stage.id,
                        key=tp["key"],
                        name=tp["name"],
                        recommended_metric=tp["metric"],
                        recommended_timing=tp["timing"],
                    )
                )
    journey.is_default = True
    session.flush()
    return journey


def _journey_order() -> list[Any]:
    # The default journey first, so its keys win when two journeys share one.
    return [Journey.is_default.desc(), Journey.id]


def stage_index(session: Session) -> dict[str, int]:
    """Stage key -> stage id over every journey; the default journey wins when two journeys share a key."""
    rows = session.execute(
        select(Stage.key, Stage.id).join(Journey, Journey.id == Stage.journey_id).order_by(*_journey_order())
    )
    index: dict[str, int] = {}
    for key, stage_id in rows:
        index.setdefault(key, stage_id)
    return index


def touchpoint_index(session: Session) -> dict[str, tuple[int, int]]:
    """Touchpoint key -> (touchpoint id, stage id) over every journey; the default journey wins on a clash."""
    rows = session.execute(
        select(Touchpoint.key, Touchpoint.id, Touchpoint.stage_id)
        .join(Journey, Journey.id == Touchpoint.journey_id)
        .order_by(*_journey_order(), Touchpoint.id)
    )
    index: dict[str, tuple[int, int]] = {}
    for key, touchpoint_id, stage_id in rows:
        index.setdefault(key, (touchpoint_id, stage_id))
    return index


def stage_keys(session: Session, *, stage_ids: Iterable[int]) -> dict[int, str]:
    """Stage id -> key for the given ids (unknown ids are left out)."""
    ids = sorted(set(stage_ids))
    if not ids:
        return {}
    return {row.id: row.key for row in session.execute(select(Stage.id, Stage.key).where(Stage.id.in_(ids)))}


def stage_ids_by_key(session: Session, *, key: str) -> list[int]:
    """The ids of the stages with this key, in every journey."""
    return list(session.scalars(select(Stage.id).where(Stage.key == key).order_by(Stage.id)))


def touchpoint_keys(session: Session, *, touchpoint_ids: Iterable[int]) -> dict[int, str]:
    """Touchpoint id -> key for the given ids (unknown ids are left out)."""
    ids = sorted(set(touchpoint_ids))
    if not ids:
        return {}
    query = select(Touchpoint.id, Touchpoint.key).where(Touchpoint.id.in_(ids))
    return {row.id: row.key for row in session.execute(query)}


# Journeys -------------------------------------------------------------------------------------------------------
def list_journeys(session: Session) -> Sequence[Journey]:
    """Every journey, the default first."""
    return session.scalars(select(Journey).order_by(*_journey_order())).all()


def get_journey(session: Session, *, journey_id: int | None = None, key: str | None = None) -> Journey | None:
    if journey_id is not None:
        return session.get(Journey, journey_id)
    return session.scalar(select(Journey).where(Journey.key == key))


def require_journey(session: Session, *, journey_id: int | None = None, key: str | None = None) -> Journey:
    """The journey, or JourneyNotFound."""
    journey = get_journey(session, journey_id=journey_id, key=key)
    if journey is None:
        raise JourneyNotFound(f"no journey with {f'id {journey_id}' if journey_id is not None else f'key {key!r}'}")
    return journey


def create_journey(session: Session, *, data: JourneyCreate) -> Journey:
    """A new (non-default) journey, with its stages and touchpoints when given."""
    if get_journey(session, key=data.key) is not None:
        raise JourneyConflict(f"a journey with key '{data.key}' exists already")
    _refuse_duplicates([s.key for s in data.stages], "stages", "stage")
    _refuse_duplicates([t.key for s in data.stages for t in s.touchpoints], "stages", "touchpoint")
    journey = Journey(key=data.key, name=data.name, description=data.description, is_default=False)
    session.add(journey)
    session.flush()
    for stage in data.stages:
        create_stage(session, journey_id=journey.id, data=stage.model_copy(update={"position": None}))
    return journey


def _refuse_duplicates(keys: list[str], field: str, what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise InvalidInput(
                f"two {what}s share a key", errors=[FieldError(field, f"the {what} key '{key}' is used twice")]
            )
        seen.add(key)


def update_journey(session: Session, *, journey_id: int, data: JourneyUpdate) -> Journey:
    """Rename, re-describe, re-key, or make this the default journey."""
    journey = require_journey(session, journey_id=journey_id)
    if data.key is not None and data.key != journey.key:
        if get_journey(session, key=data.key) is not None:
            raise JourneyConflict(f"a journey with key '{data.key}' exists already")
        journey.key = data.key
    if data.name is not None:
        journey.name = data.name
    if data.description is not None:
        journey.description = data.description
    if data.is_default:
        for other in session.scalars(select(Journey).where(Journey.is_default.is_(True), Journey.id != journey.id)):
            other.is_default = False
        journey.is_default = True
    session.flush()
    return journey


def delete_journey(session: Session, *, journey_id: int) -> None:
    """Delete a journey with its stages and touchpoints; the default journey cannot be deleted."""
    journey = require_journey(session, journey_id=journey_id)
    if journey.is_default:
        raise JourneyConflict("the default journey cannot be deleted; make another journey the default first")
    stage_ids = list(session.scalars(select(Stage.id).where(Stage.journey_id == journey.id)))
    touchpoint_ids = list(session.scalars(select(Touchpoint.id).where(Touchpoint.journey_id == journey.id)))
    _release(session, stage_ids=stage_ids, touchpoint_ids=touchpoint_ids)
    session.delete(journey)
    session.flush()


# Stages ---------------------------------------------------------------------------------------------------------
def list_stages(session: Session, *, journey_id: int) -> Sequence[Stage]:
    return session.scalars(select(Stage).where(Stage.journey_id == journey_id).order_by(Stage.position, Stage.id)).all()


def require_stage(session: Session, *, stage_id: int, journey_id: int | None = None) -> Stage:
    """The stage (of that journey, when given), or StageNotFound."""
    stage = session.get(Stage, stage_id)
    if stage is None or (journey_id is not None and stage.journey_id != journey_id):
        raise StageNotFound(f"no stage with id {stage_id}" + (f" in journey {journey_id}" if journey_id else ""))
    return stage


def create_stage(session: Session, *, journey_id: int, data: StageCreate) -> Stage:
    """A stage at `position` (later stages move down; appended when None), with its touchpoints."""
    require_journey(session, journey_id=journey_id)
    _refuse_taken(session, Stage, journey_id, data.key, "stage")
    stages = list(list_stages(session, journey_id=journey_id))
    position = len(stages) if data.position is None else min(data.position, len(stages))
    stage = Stage(journey_id=journey_id, key=data.key, name=data.name, position=position)
    stages.insert(position, stage)
    session.add(stage)
    _renumber(stages)
    session.flush()
    for spec in data.touchpoints:
        create_touchpoint(session, journey_id=journey_id, data=TouchpointCreate(**spec.model_dump(), stage_id=stage.id))
    return stage


def update_stage(session: Session, *, stage_id: int, data: StageUpdate, journey_id: int | None = None) -> Stage:
    """Rename, re-key or move a stage (`position` is 0-based)."""
    stage = require_stage(session, stage_id=stage_id, journey_id=journey_id)
    if data.key is not None and data.key != stage.key:
        _refuse_taken(session, Stage, stage.journey_id, data.key, "stage")
        stage.key = data.key
    if data.name is not None:
        stage.name = data.name
    if data.position is not None:
        stages = [s for s in list_stages(session, journey_id=stage.journey_id) if s.id != stage.id]
        stages.insert(min(data.position, len(stages)), stage)
        _renumber(stages)
    session.flush()
    return stage


def delete_stage(session: Session, *, stage_id: int, journey_id: int | None = None) -> None:
    """Delete a stage and its touchpoints; feedback and customers that pointed at it keep no stage."""
    stage = require_stage(session, stage_id=stage_id, journey_id=journey_id)
    remaining = [s for s in list_stages(session, journey_id=stage.journey_id) if s.id != stage.id]
    touchpoint_ids = list(session.scalars(select(Touchpoint.id).where(Touchpoint.stage_id == stage.id)))
    _release(session, stage_ids=[stage.id], touchpoint_ids=touchpoint_ids)
    session.delete(stage)
    _renumber(remaining)
    session.flush()


def reorder_stages(session: Session, *, journey_id: int, stage_ids: Sequence[int]) -> Sequence[Stage]:
    """Put the journey's stages in the order given (every stage id exactly once)."""
    require_journey(session, journey_id=journey_id)
    stages = {s.id: s for s in list_stages(session, journey_id=journey_id)}
    if sorted(stage_ids) != sorted(stages):
        raise InvalidInput(
            "the order must list every stage of the journey once",
            errors=[FieldError("stage_ids", f"give each of these stage ids exactly once: {sorted(stages)}")],
        )
    _renumber([stages[i] for i in stage_ids])
    session.flush()
    return list_stages(session, journey_id=journey_id)


def _renumber(stages: Sequence[Stage]) -> None:
    for position, stage in enumerate(stages):
        stage.position = position


def _refuse_taken(
    session: Session, model: type[Stage] | type[Touchpoint], journey_id: int, key: str, what: str
) -> None:
    if session.scalar(select(model.id).where(model.journey_id == journey_id, model.key == key)) is not None:
        raise JourneyConflict(f"this journey already has a {what} with key '{key}'")


# Touchpoints ----------------------------------------------------------------------------------------------------
def list_touchpoints(session: Session, *, journey_id: int) -> Sequence[Touchpoint]:
    return session.scalars(select(Touchpoint).where(Touchpoint.journey_id == journey_id).order_by(Touchpoint.id)).all()


def require_touchpoint(session: Session, *, touchpoint_id: int, journey_id: int | None = None) -> Touchpoint:
    """The touchpoint (of that journey, when given), or TouchpointNotFound."""
    touchpoint = session.get(Touchpoint, touchpoint_id)
    if touchpoint is None or (journey_id is not None and touchpoint.journey_id != journey_id):
        raise TouchpointNotFound(
            f"no touchpoint with id {touchpoint_id}" + (f" in journey {journey_id}" if journey_id else "")
        )
    return touchpoint


def _stage_of(session: Session, journey_id: int, stage_id: int | None, stage_key: str | None) -> Stage:
    if stage_id is not None:
        stage = session.get(Stage, stage_id)
        if stage is None or stage.journey_id != journey_id:
            raise InvalidInput(
                "unknown stage", errors=[FieldError("stage_id", f"journey {journey_id} has no stage {stage_id}")]
            )
        return stage
    found = session.scalar(select(Stage).where(Stage.journey_id == journey_id, Stage.key == stage_key))
    if found is None:
        raise InvalidInput(
            "unknown stage", errors=[FieldError("stage", f"this journey has no stage with key '{stage_key}'")]
        )
    return found


def create_touchpoint(session: Session, *, journey_id: int, data: TouchpointCreate) -> Touchpoint:
    """A touchpoint in one of the journey's stages."""
    require_journey(session, journey_id=journey_id)
    stage = _stage_of(session, journey_id, data.stage_id, data.stage)
    _refuse_taken(session, Touchpoint, journey_id, data.key, "touchpoint")
    touchpoint = Touchpoint(
        journey_id=journey_id,
        stage_id=stage.id,
        key=data.key,
        name=data.name,
        recommended_metric=data.recommended_metric.value if data.recommended_metric else None,
        recommended_timing=data.recommended_timing,
    )
    session.add(touchpoint)
    session.flush()
    return touchpoint


def update_touchpoint(
    session: Session, *, touchpoint_id: int, data: TouchpointUpdate, journey_id: int | None = None
) -> Touchpoint:
    """Change the fields sent; a new stage moves the touchpoint (future feedback only)."""
    touchpoint = require_touchpoint(session, touchpoint_id=touchpoint_id, journey_id=journey_id)
    sent = data.model_fields_set
    if data.key is not None and data.key != touchpoint.key:
        _refuse_taken(session, Touchpoint, touchpoint.journey_id, data.key, "touchpoint")
        touchpoint.key = data.key
    if data.name is not None:
        touchpoint.name = data.name
    if data.stage_id is not None or data.stage is not None:
        touchpoint.stage_id = _stage_of(session, touchpoint.journey_id, data.stage_id, data.stage).id
    if "recommended_metric" in sent:
        touchpoint.recommended_metric = data.recommended_metric.value if data.recommended_metric else None
    if data.recommended_timing is not None:
        touchpoint.recommended_timing = data.recommended_timing
    session.flush()
    return touchpoint


def delete_touchpoint(session: Session, *, touchpoint_id: int, journey_id: int | None = None) -> None:
    touchpoint = require_touchpoint(session, touchpoint_id=touchpoint_id, journey_id=journey_id)
    _release(session, stage_ids=[], touchpoint_ids=[touchpoint.id])
    session.delete(touchpoint)
    session.flush()


def _release(session: Session, *, stage_ids: list[int], touchpoint_ids: list[int]) -> None:
    """Clear the soft references (e.g. from responses) to stages and touchpoints about to be deleted."""
    references.lock(session, ["stages", "touchpoints"])
    references.release(session, "stages", stage_ids)
    references.release(session, "touchpoints", touchpoint_ids)
    if touchpoint_ids:
        deletion.touchpoints_deleting(session, touchpoint_ids=touchpoint_ids)


# Reads ----------------------------------------------------------------------------------------------------------
def journey_read(session: Session, journey: Journey) -> JourneyRead:
    """The journey with its stages in order and each stage's touchpoints."""
    stages = list_stages(session, journey_id=journey.id)
    keys = {s.id: s.key for s in stages}
    by_stage: dict[int, list[TouchpointRead]] = {s.id: [] for s in stages}
    for t in list_touchpoints(session, journey_id=journey.id):
        by_stage.setdefault(t.stage_id, []).append(touchpoint_read(t, stage_key=keys.get(t.stage_id, "")))
    return JourneyRead(
        id=journey.id,
        key=journey.key,
        name=journey.name,
        description=journey.description,
        is_default=journey.is_default,
        stages=[
            StageRead(
                id=s.id,
                journey_id=s.journey_id,
                key=s.key,
                name=s.name,
                position=s.position,
                touchpoints=by_stage[s.id],
            )
            for s in stages
        ],
    )


def touchpoint_read(touchpoint: Touchpoint, *, stage_key: str) -> TouchpointRead:
    return TouchpointRead(
        id=touchpoint.id,
        journey_id=touchpoint.journey_id,
        stage_id=touchpoint.stage_id,
        stage=stage_key,
        key=touchpoint.key,
        name=touchpoint.name,
        recommended_metric=MetricKind(touchpoint.recommended_metric) if touchpoint.recommended_metric else None,
        recommended_timing=touchpoint.recommended_timing,
    )


def journey_summaries(session: Session) -> list[JourneySummary]:
    stage_counts = {
        row[0]: row[1] for row in session.execute(select(Stage.journey_id, func.count()).group_by(Stage.journey_id))
    }
    touchpoint_counts = {
        row[0]: row[1]
        for row in session.execute(select(Touchpoint.journey_id, func.count()).group_by(Touchpoint.journey_id))
    }
    return [
        JourneySummary(
            id=j.id,
            key=j.key,
            name=j.name,
            description=j.description,
            is_default=j.is_default,
            stage_count=stage_counts.get(j.id, 0),
            touchpoint_count=touchpoint_counts.get(j.id, 0),
        )
        for j in list_journeys(session)
    ]
