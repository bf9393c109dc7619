"""/api/v1/analytics/compare, /api/v1/targets and /api/v1/anomalies (docs/analytics.md): viewers read, analysts set
targets."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from cxloop.access.deps import ActorDep, AnalystDep, ViewerDep
from cxloop.analytics import anomalies, comparisons, targets
from cxloop.analytics.schemas import AnomalyRead, ComparisonRead, TargetCreate, TargetRead
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.core.int_bounds import Id, Limit
from cxloop.storage.deps import SessionDep

router = APIRouter(tags=["analytics"])

Text = Annotated[str | None, Query(max_length=64)]
Day = Annotated[str | None, Query(max_length=40, description="A date (2026-01-01) or an ISO-8601 instant.")]


@router.get("/analytics/compare", response_model=ComparisonRead)
def compare(
    session: SessionDep,
    _: ViewerDep,
    metric: Annotated[str, Query(max_length=16, description="nps, csat or ces.")],
    segment: Text = None,
    start: Day = None,
    end: Day = None,
    stage: Text = None,
    touchpoint: Text = None,
    channel: Text = None,
    survey: Text = None,
    vs_segment: Text = None,
    vs_start: Day = None,
    vs_end: Day = None,
    vs_stage: Text = None,
    vs_touchpoint: Text = None,
    vs_channel: Text = None,
    vs_survey: Text = None,
    yoy: Annotated[bool, Query(description="Compare with the same dates one year earlier.")] = False,
    tz: Annotated[str, Query(max_length=64)] = "UTC",
) -> ComparisonRead:
    """One metric in group a (the plain filters) against group b (the `vs_` filters; one left out is a's): the
    difference a - b with its 95% interval, the p-value and the verdict, or why the data cannot say."""
    a = {"segment": segment, "start": start, "end": end, "stage": stage, "touchpoint": touchpoint}
    a |= {"channel": channel, "survey": survey}
    b = {"segment": vs_segment, "start": vs_start, "end": vs_end, "stage": vs_stage, "touchpoint": vs_touchpoint}
    b |= {"channel": vs_channel, "survey": vs_survey}
    return comparisons.compare(session, metric=metric, a=a, b=b, tz=tz, year_over_year=yoy)


@router.get("/targets", response_model=list[TargetRead])
def list_targets(session: SessionDep, _: ViewerDep) -> list[TargetRead]:
    """Every target with its progress and probability of being reached, the nearest due date first."""
    return [targets.read(session, target) for target in targets.list_targets(session)]


@router.post("/targets", response_model=TargetRead, status_code=status.HTTP_201_CREATED)
def create_target(body: TargetCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> TargetRead:
    """Set a target ("NPS 40 in Enterprise by 2027-06-30"): 422 naming a value off the scale, an unknown segment or
    a due date not after the start."""
    made = targets.create_target(session, data=body)
    after = body.model_dump(mode="json") | {"start_date": made.start_date.isoformat()}
    audit.record(session, actor=actor, action=AuditAction.metric_target_created, target_id=made.id, after=after)
    return targets.read(session, made)


@router.get("/targets/{target_id:int}", response_model=TargetRead)
def get_target(target_id: Id, session: SessionDep, _: ViewerDep) -> TargetRead:
    return targets.read(session, targets.require_target(session, target_id=target_id))


@router.delete("/targets/{target_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_target(target_id: Id, session: SessionDep, _: AnalystDep, actor: ActorDep) -> None:
    before = {"name": targets.require_target(session, target_id=target_id).name}
    targets.delete_target(session, target_id=target_id)
    audit.record(session, actor=actor, action=AuditAction.metric_target_deleted, target_id=target_id, before=before)


@router.get("/anomalies", response_model=list[AnomalyRead])
def list_anomalies(
    session: SessionDep,
    _: ViewerDep,
    metric: Annotated[str | None, Query(max_length=100, description="nps, csat, ces, response_rate, ...")] = None,
    scope: Annotated[
        str | None, Query(max_length=100, description="A segment or touchpoint key, or a channel.")
    ] = None,
    touchpoint: Annotated[str | None, Query(max_length=100, description="A touchpoint's key: its series only.")] = None,
    since: Annotated[date | None, Query(description="Periods starting on or after this date.")] = None,
    limit: Limit = 100,
) -> list[AnomalyRead]:
    """Stored anomalies (found daily by the worker, or by `cxloop analyze anomalies`), the latest period first,
    each with its one-sentence explanation."""
    return anomalies.list_anomalies(
        session, limit=limit, metric=metric, scope_key=scope, touchpoint=touchpoint, since=since
    )
