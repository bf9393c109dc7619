"""/api/v1/experiments (docs/experiments.md): analysts create and stop experiments, viewers read them, their results,
sample-size plans and before/after comparisons; integrators ask for a customer's variant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from cxloop.access.deps import ActorDep, AnalystDep, ViewerDep
from cxloop.analytics.schemas import ComparisonRead
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.experiments import planning, results
from cxloop.experiments import service as experiments
from cxloop.experiments.schemas import AssignmentRead, ExperimentCreate, ExperimentRead, ExperimentResults, SamplePlan
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/experiments", tags=["experiments"])

_AUDITED = {"key", "name", "metric", "variants", "segment", "start_date", "end_date"}


@router.get("", response_model=list[ExperimentRead])
def list_experiments(session: SessionDep, _: ViewerDep) -> list[ExperimentRead]:
    """Every experiment, the latest start first."""
    return [experiments.read(session, e) for e in experiments.list_experiments(session)]


@router.post("", response_model=ExperimentRead, status_code=status.HTTP_201_CREATED)
def create_experiment(body: ExperimentCreate, session: SessionDep, _: AnalystDep, actor: ActorDep) -> ExperimentRead:
    """Start an experiment: 422 naming an unknown segment, a reserved key, duplicate variant keys or an end before the
    start; 409 when the key is taken."""
    made = experiments.create_experiment(session, data=body)
    read = experiments.read(session, made)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.experiment_created,
        target_id=made.key,
        after=read.model_dump(mode="json", include=_AUDITED),
    )
    return read


@router.get("/plan", response_model=SamplePlan)
def plan(
    session: SessionDep,
    _: ViewerDep,
    metric: Annotated[str, Query(max_length=16, description="nps, csat or ces.")],
    mde: Annotated[float, Query(description="The smallest difference worth detecting, in the metric's units.")],
    segment: Annotated[str | None, Query(max_length=64)] = None,
    weights: Annotated[str | None, Query(max_length=200, description="Comma-separated, control first: 50,50.")] = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> SamplePlan:
    """Before starting: responses per variant for `mde` at `power` and two-sided `alpha`, and the days that takes at
    the recent answer rate."""
    return planning.plan(
        session,
        metric=metric,
        mde=mde,
        segment=segment,
        weights=planning.parse_weights(weights),
        alpha=alpha,
        power=power,
    )


@router.get("/before-after", response_model=ComparisonRead)
def before_after(
    session: SessionDep,
    _: ViewerDep,
    metric: Annotated[str, Query(max_length=16, description="nps, csat or ces.")],
    change_date: Annotated[str, Query(max_length=10, description="The day the change shipped (2026-03-01).")],
    days: Annotated[int, Query(ge=1, le=planning.MAX_WINDOW_DAYS)] = 28,
    segment: Annotated[str | None, Query(max_length=64)] = None,
    tz: Annotated[str, Query(max_length=64)] = "UTC",
) -> ComparisonRead:
    """The `days` days from the change date on against the `days` days before: difference, interval, p-value."""
    return planning.before_after(session, metric=metric, change_date=change_date, days=days, segment=segment, tz=tz)


@router.get("/{key}", response_model=ExperimentRead)
def get_experiment(key: str, session: SessionDep, _: ViewerDep) -> ExperimentRead:
    return experiments.read(session, experiments.require_experiment(session, key=key))


@router.get("/{key}/assignment", response_model=AssignmentRead)
def get_assignment(
    key: str,
    session: SessionDep,
    _: ViewerDep,
    customer: Annotated[str, Query(min_length=1, max_length=200, description="The customer's external id.")],
) -> AssignmentRead:
    """The variant this customer sees: the same on every call, so integrators can branch on it."""
    return experiments.assign(session, key=key, customer=customer)


@router.get("/{key}/results", response_model=ExperimentResults)
def get_results(key: str, session: SessionDep, _: ViewerDep) -> ExperimentResults:
    """The metric per variant with n and 95% intervals, and each treatment against the control."""
    return results.results(session, key=key)


@router.post("/{key}/stop", response_model=ExperimentRead)
def stop_experiment(key: str, session: SessionDep, _: AnalystDep, actor: ActorDep) -> ExperimentRead:
    """End the experiment today; 409 when already stopped."""
    before = experiments.read(session, experiments.require_experiment(session, key=key))
    after = experiments.read(session, experiments.stop_experiment(session, key=key))
    audit.record(
        session,
        actor=actor,
        action=AuditAction.experiment_stopped,
        target_id=key,
        before=before.model_dump(mode="json", include={"status", "end_date"}),
        after=after.model_dump(mode="json", include={"status", "end_date"}),
    )
    return after
