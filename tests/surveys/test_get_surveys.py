"""get_surveys: many surveys by id in one query (both databases)."""

from __future__ import annotations

from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from tests.factories.surveys import make_survey


def test_surveys_come_back_by_id_and_unknown_ids_are_left_out(db: Database) -> None:
    first, second = make_survey(db, key="one"), make_survey(db, key="two")
    with db.unit_of_work() as session:
        found = surveys.get_surveys(session, survey_ids=[second.id, first.id, 999_999])
        assert {survey_id: s.key for survey_id, s in found.items()} == {first.id: "one", second.id: "two"}
        assert surveys.get_surveys(session, survey_ids=[]) == {}
