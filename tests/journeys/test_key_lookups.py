"""touchpoint_keys (id -> key, the reverse of touchpoint_index) and stage_ids_by_key (every journey) on both
databases."""

from __future__ import annotations

from cxloop.journeys import service as journeys
from cxloop.journeys.schemas import JourneyCreate
from cxloop.storage.database import Database


def test_touchpoint_ids_resolve_to_their_keys(db: Database) -> None:
    with db.unit_of_work() as session:
        journeys.ensure_default_journey(session)
        index = journeys.touchpoint_index(session)
        by_id = {touchpoint_id: key for key, (touchpoint_id, _) in index.items()}
        assert journeys.touchpoint_keys(session, touchpoint_ids=[*by_id, 999_999]) == by_id
        assert journeys.touchpoint_keys(session, touchpoint_ids=[]) == {}


def test_a_stage_key_names_its_stage_in_every_journey(db: Database) -> None:
    with db.unit_of_work() as session:
        journeys.ensure_default_journey(session)
        default_id = journeys.stage_index(session)["onboarding"]
        other = journeys.create_journey(
            session,
            data=JourneyCreate.model_validate(
                {"key": "b2b", "name": "B2B", "stages": [{"key": "onboarding", "name": "Onboarding"}]}
            ),
        )
        other_id = next(s.id for s in journeys.list_stages(session, journey_id=other.id))
        assert journeys.stage_ids_by_key(session, key="onboarding") == sorted([default_id, other_id])
        assert journeys.stage_ids_by_key(session, key="nowhere") == []
