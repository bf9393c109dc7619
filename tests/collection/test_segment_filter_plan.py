"""The explorer's segment filter reads a large segment newest first on SQLite (collection/queries.py
`_segment_by_time`), a small one through its members; both ways give the same page and the same total."""

from __future__ import annotations

import random

import pytest

from cxloop.collection import queries
from cxloop.storage.database import Database
from tests.factories.responses import add_scored, add_segment, random_scored, random_world


def test_both_ways_of_reading_a_segment_give_the_same_page_and_total(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.unit_of_work() as session:
        world = random_world(session, seed=5, customers=200)
        add_scored(session, random_scored(random.Random(5), world, 600))
        add_segment(session, "few", world.customers[:2])  # 1 % of the customers: under the 2 % bound
    with db.unit_of_work() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        assert queries._segment_by_time(session, "enterprise") is sqlite  # half of the customers
        assert not queries._segment_by_time(session, "few")
        assert not queries._segment_by_time(session, "no-such-segment")
        assert not queries._segment_by_time(session, None)
        for segment in ("enterprise", "at-risk", "few"):
            pages = []
            for by_time in (False, True):
                monkeypatch.setattr(queries, "_segment_by_time", lambda *_, chosen=by_time: chosen)
                responses = queries.response_page(session, segment=segment, nps_max=6, limit=20, count_up_to=50)
                items = queries.feedback_page(session, segment=segment, limit=20)
                pages.append(
                    (
                        [row[0].id for row in responses.items],
                        responses.total,
                        [row[0].id for row in items.items],
                        items.total,
                    )
                )
            assert pages[0] == pages[1], segment
            assert segment == "few" or (pages[0][0] and pages[0][2])
