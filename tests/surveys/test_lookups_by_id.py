"""Surveys and versions by id: get_surveys (many in one query) and get_version (both databases)."""

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


def test_a_version_is_found_by_its_id(db: Database) -> None:
    survey = make_survey(db, key="one")
    with db.unit_of_work() as session:
        current = surveys.require_version(session, survey_id=survey.id)
        found = surveys.get_version(session, version_id=current.id)
        assert found is not None and (found.survey_id, found.version) == (survey.id, current.version)
        assert surveys.get_version(session, version_id=current.id + 1_000) is None
