"""The explorer's set filters (a segment, a select of ids such as a sentiment's) are tested row by row while SQLite
reads the newest rows first when the set is large (collection/queries.py `_by_time`), and read through the set's
index when it is small; every way gives the same page and the same total."""

from __future__ import annotations

import itertools
import random

import pytest
from sqlalchemy import select

from cxloop.collection import queries
from cxloop.collection.models import FeedbackItem, Response
from cxloop.storage.database import Database
from tests.factories.responses import add_scored, add_segment, random_scored, random_world


def test_every_way_of_reading_a_set_filter_gives_the_same_page_and_total(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.unit_of_work() as session:
        world = random_world(session, seed=5, customers=200)
        add_scored(session, random_scored(random.Random(5), world, 600))
        add_segment(session, "few", world.customers[:2])  # 1 % of the customers: under the 2 % bound
    with db.unit_of_work() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        first_ids = sorted(session.scalars(select(Response.id)))[:3]
        many = {Response: select(Response.id).where(Response.id % 2 == 0), FeedbackItem: select(FeedbackItem.id)}
        # The same sets read from another table (as a sentiment's or a theme's are): probed per row by time.
        other = Response.__table__.alias(), FeedbackItem.__table__.alias()
        elsewhere = {
            Response: select(other[0].c.id).where(other[0].c.id % 2 == 0),
            FeedbackItem: select(other[1].c.id),
        }
        few = {Response: select(Response.id).where(Response.id.in_(first_ids)), FeedbackItem: None}
        by_time = queries._by_time
        assert by_time(session, Response, "enterprise", many[Response], False) == (sqlite, sqlite)  # half of each
        assert by_time(session, Response, "few", few[Response], False) == queries.NONE_BY_TIME
        assert by_time(session, Response, "few", few[Response], True) == (False, True)  # unsized when asked
        assert not by_time(session, Response, "no-such-segment", None, False).segment
        assert by_time(session, FeedbackItem, None, None, False) == queries.NONE_BY_TIME
        for segment, ids in itertools.product(("enterprise", "at-risk", "few", None), (many, elsewhere, few, None)):
            if segment is None and ids is None:
                continue
            pages = set()
            for by_time in itertools.product((False, True), repeat=2):
                chosen = queries.ByTime(*by_time)
                monkeypatch.setattr(queries, "_by_time", lambda *_, chosen=chosen: chosen)
                kept = ids or {Response: None, FeedbackItem: None}
                responses = queries.response_page(
                    session, segment=segment, ids=kept[Response], nps_max=6, limit=20, count_up_to=50
                )
                items = queries.feedback_page(session, segment=segment, ids=kept[FeedbackItem], limit=20)
                pages.add(
                    (
                        tuple(row[0].id for row in responses.items),
                        responses.total,
                        tuple(row[0].id for row in items.items),
                        items.total,
                    )
                )
            assert len(pages) == 1, (segment, ids is many)
            if segment == "enterprise" and (ids is many or ids is elsewhere):
                found = pages.pop()
                assert found[0] and found[2]
