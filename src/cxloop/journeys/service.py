"""Journeys, their ordered stages and touchpoints."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
