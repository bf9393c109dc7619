"""Experiments: create, list, stop, and which variant a customer sees (docs/experiments.md). Results are in
results.py, sample-size plans in planning.py."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.analytics import queries as analytics_queries
from cxloop.core.clock import utcnow
from cxloop.core.errors import Conflict, FieldError, InvalidInput, NotFound
from cxloop.experiments import queries
from cxloop.experiments.assignment import variant_for
from cxloop.experiments.enums import ExperimentStatus
from cxloop.experiments.models import Experiment
from cxloop.experiments.schemas import AssignmentRead, ExperimentCreate, ExperimentRead, Variant

# Paths under /api/v1/experiments/ that are not experiment keys.
RESERVED_KEYS = frozenset({"plan", "before-after"})


def create_experiment(session: Session, *, data: ExperimentCreate, today: date | None = None) -> Experiment:
    """Store a running experiment; InvalidInput names an unknown segment, a reserved key or an end date before the
    start; Conflict when the key is taken."""
    start = data.start_date or today or utcnow().date()
    errors: list[FieldError] = []
    if data.key in RESERVED_KEYS:
        errors.append(FieldError("key", f"'{data.key}' is reserved; choose another key"))
    segment_id = None
    if data.segment is not None:
        segment_id = analytics_queries.segment_id(session, key=data.segment)
        if segment_id is None:
            errors.append(FieldError("segment", f"there is no segment '{data.segment}'"))
    if data.end_date is not None and data.end_date < start:
        errors.append(FieldError("end_date", "the end date must not be before the start date"))
    if errors:
        raise InvalidInput("the experiment has invalid fields", errors=errors)
    if get_experiment(session, key=data.key) is not None:
        raise Conflict(f"there is already an experiment '{data.key}'")
    experiment = Experiment(
        key=data.key,
        name=data.name,
        metric=data.metric.value,
        variants=[variant.model_dump() for variant in data.variants],
        segment_id=segment_id,
        hypothesis=data.hypothesis,
        status=ExperimentStatus.running.value,
        start_date=start,
        end_date=data.end_date,
        created_at=utcnow(),
    )
    session.add(experiment)
    session.flush()
    return experiment


def list_experiments(session: Session) -> list[Experiment]:
    """Every experiment, the latest start first."""
    return list(session.scalars(select(Experiment).order_by(Experiment.start_date.desc(), Experiment.id.desc())))


def get_experiment(session: Session, *, key: str) -> Experiment | None:
    return session.scalar(select(Experiment).where(Experiment.key == key))


def require_experiment(session: Session, *, key: str) -> Experiment:
    experiment = get_experiment(session, key=key)
    if experiment is None:
        raise NotFound(f"there is no experiment '{key}'")
    return experiment


def stop_experiment(session: Session, *, key: str, today: date | None = None) -> Experiment:
    """End a running experiment now: results count responses up to today; Conflict when already stopped."""
    experiment = require_experiment(session, key=key)
    if experiment.status == ExperimentStatus.stopped.value:
        raise Conflict(f"the experiment '{key}' is already stopped")
    day = today or utcnow().date()
    experiment.status = ExperimentStatus.stopped.value
    experiment.stopped_at = utcnow()
    if experiment.end_date is None or experiment.end_date > day:
        experiment.end_date = max(day, experiment.start_date)
    session.flush()
    return experiment


def status_on(experiment: Experiment, day: date) -> ExperimentStatus:
    """Stopped by hand, or past its end date."""
    if experiment.status == ExperimentStatus.stopped.value or (
        experiment.end_date is not None and experiment.end_date < day
    ):
        return ExperimentStatus.stopped
    return ExperimentStatus.running


def weights(experiment: Experiment) -> list[tuple[str, float]]:
    """(variant key, weight) in the experiment's order; the first is the control."""
    return [(variant["key"], float(variant["weight"])) for variant in experiment.variants]


def read(session: Session, experiment: Experiment, *, today: date | None = None) -> ExperimentRead:
    segment = None
    if experiment.segment_id is not None:
        segment = queries.segment_key(session, segment_id=experiment.segment_id)
    return ExperimentRead(
        id=experiment.id,
        key=experiment.key,
        name=experiment.name,
        metric=experiment.metric,
        variants=[Variant(**variant) for variant in experiment.variants],
        segment=segment,
        hypothesis=experiment.hypothesis,
        status=status_on(experiment, today or utcnow().date()),
        start_date=experiment.start_date,
        end_date=experiment.end_date,
        created_at=experiment.created_at,
        stopped_at=experiment.stopped_at,
    )


def assign(session: Session, *, key: str, customer: str, today: date | None = None) -> AssignmentRead:
    """The variant of the customer with external id `customer` (a customer not yet imported gets the one they will
    have, unless the experiment is limited to a segment)."""
    experiment = require_experiment(session, key=key)
    customer = customer.strip()
    if not customer:
        raise InvalidInput("invalid customer", errors=[FieldError("customer", "give the customer's external id")])
    day = today or utcnow().date()
    if experiment.segment_id is not None:
        segment = queries.segment_key(session, segment_id=experiment.segment_id)
        known = queries.customer_id(session, external_id=customer)
        if known is None or not queries.is_member(session, segment_id=experiment.segment_id, customer_id=known):
            why = "is not a known customer" if known is None else "is not in the segment"
            return AssignmentRead(
                experiment=key,
                customer=customer,
                variant=None,
                active=False,
                reason=f"{customer} {why} '{segment}', which this experiment is limited to",
            )
    reason = ""
    if experiment.start_date > day:
        reason = f"the experiment starts on {experiment.start_date.isoformat()}"
    elif status_on(experiment, day) is ExperimentStatus.stopped:
        reason = "the experiment has ended"
    return AssignmentRead(
        experiment=key,
        customer=customer,
        variant=variant_for(key, customer, weights(experiment)),
        active=not reason,
        reason=reason,
    )
