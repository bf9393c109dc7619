"""touchpoint_keys: touchpoint id -> key, the reverse of touchpoint_index (both databases)."""

from __future__ import annotations

from cxloop.journeys import service as journeys
from cxloop.storage.database import Database


def test_touchpoint_ids_resolve_to_their_keys(db: Database) -> None:
    with db.unit_of_work() as session:
        journeys.ensure_default_journey(session)
        index = journeys.touchpoint_index(session)
        by_id = {touchpoint_id: key for key, (touchpoint_id, _) in index.items()}
        assert journeys.touchpoint_keys(session, touchpoint_ids=[*by_id, 999_999]) == by_id
        assert journeys.touchpoint_keys(session, touchpoint_ids=[]) == {}
