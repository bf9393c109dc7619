"""Journeys, their ordered stages and touchpoints (analyst writes, viewer reads); docs/api-customers.md."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from cxloop.access.deps import ActorDep, AnalystDep, ViewerDep
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.int_bounds import Id
from cxloop.journeys import service as journeys
from cxloop.journeys.schemas import (
    JourneyCreate,
    JourneyPage,
    JourneyRead,
    JourneyUpdate,
    StageCreate,
    StageOrder,
    StageRead,
    StageUpdate,
    TouchpointCreate,
    TouchpointRead,
    TouchpointUpdate,
)
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/journeys", tags=["journeys"])


def _read(session: Session, journey_id: int) -> JourneyRead:
    return journeys.journey_read(session, journeys.require_journey(session, journey_id=journey_id))


def _stage(session: Session, journey_id: int, stage_id: int) -> StageRead:
    return next(s for s in _read(session, journey_id).stages if s.id == stage_id)


def _touchpoint(session: Session, journey_id: int, touchpoint_id: int) -> TouchpointRead:
    touchpoint = journeys.require_touchpoint(session, touchpoint_id=touchpoint_id, journey_id=journey_id)
    return journeys.touchpoint_read(
        touchpoint, stage_key=journeys.require_stage(session, stage_id=touchpoint.stage_id).key
    )


def _stage_fields(stage: StageRead) -> dict[str, object]:
    return stage.model_dump(exclude={"touchpoints"})


@router.get("", response_model=JourneyPage)
def list_journeys(session: SessionDep, _: ViewerDep) -> JourneyPage:
    """Every journey (the default first) with its stage and touchpoint counts."""
    items = journeys.journey_summaries(session)
    return JourneyPage(items=items, total=len(items))


@router.post("", response_model=JourneyRead, status_code=status.HTTP_201_CREATED)
def create_journey(body: JourneyCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> JourneyRead:
    """Create a journey, optionally with its stages and their touchpoints."""
    made = _read(session, journeys.create_journey(session, data=body).id)
    audit.record(session, actor=actor, action=AuditAction.journey_created, target_id=made.id, after=made.model_dump())
    return made


@router.get("/{journey_id:int}", response_model=JourneyRead)
def get_journey(journey_id: Id, session: SessionDep, _: ViewerDep) -> JourneyRead:
    """A journey with its stages in order and their touchpoints."""
    return _read(session, journey_id)


@router.patch("/{journey_id:int}", response_model=JourneyRead)
def update_journey(
    journey_id: Id, body: JourneyUpdate, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> JourneyRead:
    """Rename a journey or make it the default."""
    before = _read(session, journey_id).model_dump()
    after = _read(session, journeys.update_journey(session, journey_id=journey_id, data=body).id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.journey_updated,
        target_id=journey_id,
        before=before,
        after=after.model_dump(),
    )
    return after


@router.delete("/{journey_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_journey(journey_id: Id, session: SessionDep, _: AnalystDep, actor: ActorDep) -> Response:
    """Delete a journey (409 for the default journey)."""
    before = _read(session, journey_id).model_dump()
    journeys.delete_journey(session, journey_id=journey_id)
    audit.record(session, actor=actor, action=AuditAction.journey_deleted, target_id=journey_id, before=before)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{journey_id:int}/stages", response_model=StageRead, status_code=status.HTTP_201_CREATED)
def create_stage(journey_id: Id, body: StageCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> StageRead:
    """Add a stage at a position (appended when left out)."""
    stage = _stage(session, journey_id, journeys.create_stage(session, journey_id=journey_id, data=body).id)
    audit.record(session, actor=actor, action=AuditAction.stage_created, target_id=stage.id, after=_stage_fields(stage))
    return stage


@router.put("/{journey_id:int}/stages/order", response_model=JourneyRead)
def reorder_stages(
    journey_id: Id, body: StageOrder, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> JourneyRead:
    """Put the stages in a new order (list every stage id once)."""
    before = {"stage_ids": [s.id for s in _read(session, journey_id).stages]}
    journeys.reorder_stages(session, journey_id=journey_id, stage_ids=body.stage_ids)
    after = _read(session, journey_id)
    changes = {"stage_ids": [before["stage_ids"], [s.id for s in after.stages]]}
    audit.record(session, actor=actor, action=AuditAction.journey_updated, target_id=journey_id, changes=changes)
    return after


@router.patch("/{journey_id:int}/stages/{stage_id:int}", response_model=StageRead)
def update_stage(
    journey_id: Id, stage_id: Id, body: StageUpdate, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> StageRead:
    """Rename, re-key or move a stage."""
    journeys.require_stage(session, stage_id=stage_id, journey_id=journey_id)
    before = _stage_fields(_stage(session, journey_id, stage_id))
    journeys.update_stage(session, stage_id=stage_id, data=body, journey_id=journey_id)
    after = _stage(session, journey_id, stage_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.stage_updated,
        target_id=stage_id,
        before=before,
        after=_stage_fields(after),
    )
    return after


@router.delete("/{journey_id:int}/stages/{stage_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_stage(journey_id: Id, stage_id: Id, session: SessionDep, _: AnalystDep, actor: ActorDep) -> Response:
    """Delete a stage and its touchpoints."""
    journeys.require_stage(session, stage_id=stage_id, journey_id=journey_id)
    before = _stage(session, journey_id, stage_id).model_dump()
    journeys.delete_stage(session, stage_id=stage_id, journey_id=journey_id)
    audit.record(session, actor=actor, action=AuditAction.stage_deleted, target_id=stage_id, before=before)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{journey_id:int}/touchpoints", response_model=TouchpointRead, status_code=status.HTTP_201_CREATED)
def create_touchpoint(
    journey_id: Id, body: TouchpointCreate, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> TouchpointRead:
    """Add a touchpoint to one of the journey's stages."""
    made = _touchpoint(session, journey_id, journeys.create_touchpoint(session, journey_id=journey_id, data=body).id)
    audit.record(
        session, actor=actor, action=AuditAction.touchpoint_created, target_id=made.id, after=made.model_dump()
    )
    return made


@router.patch("/{journey_id:int}/touchpoints/{touchpoint_id:int}", response_model=TouchpointRead)
def update_touchpoint(
    journey_id: Id, touchpoint_id: Id, body: TouchpointUpdate, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> TouchpointRead:
    """Change a touchpoint's name, key, stage, recommended metric or timing."""
    before = _touchpoint(session, journey_id, touchpoint_id).model_dump()
    journeys.update_touchpoint(session, touchpoint_id=touchpoint_id, data=body, journey_id=journey_id)
    after = _touchpoint(session, journey_id, touchpoint_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.touchpoint_updated,
        target_id=touchpoint_id,
        before=before,
        after=after.model_dump(),
    )
    return after


@router.delete("/{journey_id:int}/touchpoints/{touchpoint_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_touchpoint(
    journey_id: Id, touchpoint_id: Id, session: SessionDep, _: AnalystDep, actor: ActorDep
) -> Response:
    """Delete a touchpoint; feedback already tied to it keeps its stage."""
    before = _touchpoint(session, journey_id, touchpoint_id).model_dump()
    journeys.delete_touchpoint(session, touchpoint_id=touchpoint_id, journey_id=journey_id)
    audit.record(session, actor=actor, action=AuditAction.touchpoint_deleted, target_id=touchpoint_id, before=before)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
