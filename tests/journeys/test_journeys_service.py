"""touchpoint_index and stage_index: keys across journeys, the default journey winning a clash."""

from __future__ import annotations

from cxloop.journeys import service as journeys
from cxloop.storage.database import Database
from tests.factories.journeys import make_journey, stage_create, touchpoint_spec


def test_indexes_cover_every_journey_and_prefer_the_default(db: Database) -> None:
    with db.unit_of_work() as session:
        default = journeys.ensure_default_journey(session)
        usage = stage_create(key="usage", touchpoints=[touchpoint_spec(key="delivery"), touchpoint_spec(key="qbr")])
        other = make_journey(session, stages=[usage])
        stages = journeys.stage_index(session)
        touchpoints = journeys.touchpoint_index(session)
        default_usage = next(s for s in journeys.list_stages(session, journey_id=default.id) if s.key == "usage")
        other_usage = journeys.list_stages(session, journey_id=other.id)[0]
        assert stages["usage"] == default_usage.id
        assert touchpoints["delivery"][1] == default_usage.id
        qbr_id, qbr_stage = touchpoints["qbr"]
        assert qbr_stage == other_usage.id
        assert journeys.require_touchpoint(session, touchpoint_id=qbr_id).key == "qbr"
        assert set(stages) == {"awareness", "onboarding", "usage", "renewal", "advocacy"}
        assert journeys.stage_keys(session, stage_ids=[other_usage.id, 12345]) == {other_usage.id: "usage"}
