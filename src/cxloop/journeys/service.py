"""Journeys, their ordered stages and touchpoints."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.journeys.defaults import DEFAULT_JOURNEY_KEY, DEFAULT_JOURNEY_NAME, DEFAULT_STAGES
from cxloop.journeys.models import Journey, Stage, Touchpoint


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
