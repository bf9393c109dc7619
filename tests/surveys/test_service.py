"""Survey service: creation, versioning, listing and deletion on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from cxloop.collection.models import Response
from cxloop.core.clock import utcnow
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.errors import InvalidSurvey, SurveyConflict, SurveyInUse, SurveyNotFound, SurveyVersionNotFound
from cxloop.surveys.schemas import SurveyDefinition, SurveyUpdate
from tests.factories.surveys import make_survey, nps_definition, survey_create


def test_create_and_require_by_id_or_key(db: Database) -> None:
    created = make_survey(db)
    with db.unit_of_work() as session:
        by_key = surveys.require_survey(session, key="rnps")
        assert by_key.id == created.id and by_key.current_version == 1
        version = surveys.require_version(session, survey_id=created.id)
        assert version.definition == SurveyDefinition.model_validate(nps_definition()).to_document()
        with pytest.raises(SurveyNotFound):
            surveys.require_survey(session, key="nope")
        with pytest.raises(SurveyVersionNotFound):
            surveys.require_version(session, survey_id=created.id, version=2)
        with pytest.raises(SurveyConflict) as conflict:
            surveys.create_survey(session, data=survey_create())
        assert conflict.value.errors[0].field == "key"


def test_a_changed_definition_makes_a_new_version(db: Database) -> None:
    survey = make_survey(db)
    changed = nps_definition()
    changed["questions"][0]["text"]["en"] = "Would you recommend us?"
    with db.unit_of_work() as session:
        surveys.update_survey(session, survey_id=survey.id, data=SurveyUpdate(name="Renamed"))
        same = surveys.update_survey(
            session,
            survey_id=survey.id,
            data=SurveyUpdate(definition=SurveyDefinition.model_validate(nps_definition())),
        )
        assert same.current_version == 1  # identical definition: no new version
        updated = surveys.update_survey(
            session,
            survey_id=survey.id,
            data=SurveyUpdate(definition=SurveyDefinition.model_validate(changed), status=SurveyStatus.paused),
        )
        assert (updated.current_version, updated.name, updated.status) == (2, "Renamed", "paused")
    with db.unit_of_work() as session:
        versions = surveys.list_versions(session, survey_id=survey.id)
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].definition["questions"][0]["text"]["en"] == "How likely are you to recommend us?"
        assert surveys.require_version(session, survey_id=survey.id).version == 2


def test_changing_the_default_locale_needs_wordings_in_it(db: Database) -> None:
    survey = make_survey(db)
    with db.unit_of_work() as session, pytest.raises(InvalidSurvey) as caught:
        surveys.update_survey(session, survey_id=survey.id, data=SurveyUpdate(default_locale="de"))
    fields = {e.field for e in caught.value.errors}
    assert "definition.questions.2.text" in fields and "definition.questions.0.text" not in fields


def test_list_filters_sorts_and_pages(db: Database) -> None:
    for key, status in [("a", "live"), ("b", "draft"), ("c", "live"), ("d", "closed")]:
        make_survey(db, key=key, name=key.upper(), status=status)
    with db.unit_of_work() as session:
        live = surveys.list_surveys(session, status=SurveyStatus.live)
        assert [s.key for s in live.items] == ["a", "c"] and live.total == 2
        page = surveys.list_surveys(session, sort="-key", limit=2, offset=1)
        assert [s.key for s in page.items] == ["c", "b"] and page.total == 4
        definitions = surveys.current_definitions(session, surveys=page.items)
        assert set(definitions) == {s.id for s in page.items}


def test_resolve_versions_compiles_current_and_named_versions(db: Database) -> None:
    survey = make_survey(db)
    changed = nps_definition()
    changed["questions"].pop()
    with db.unit_of_work() as session:
        surveys.update_survey(
            session, survey_id=survey.id, data=SurveyUpdate(definition=SurveyDefinition.model_validate(changed))
        )
    with db.unit_of_work() as session:
        found = surveys.resolve_versions(session, refs=[("rnps", None), ("rnps", 1), ("rnps", 7), ("other", None)])
    assert set(found) == {("rnps", None), ("rnps", 1)}
    assert found[("rnps", None)].version == 2 and found[("rnps", 1)].version == 1
    assert "answers.speed" in {e.field for e in found[("rnps", None)].rules.score({"q1": 1, "speed": 3}).errors}
    assert found[("rnps", 1)].rules.score({"q1": 1, "speed": 3}).errors == []


def test_delete_only_without_responses(db: Database) -> None:
    used, unused = make_survey(db, key="used"), make_survey(db, key="unused")
    with db.unit_of_work() as session:
        version = surveys.require_version(session, survey_id=used.id)
        now = utcnow()
        session.execute(
            insert(Response).values(
                survey_id=used.id,
                survey_version_id=version.id,
                channel="api",
                answers={"q1": 9},
                nps=9,
                meta={},
                is_partial=False,
                submitted_at=now,
                received_at=now,
            )
        )
    with db.unit_of_work() as session:
        with pytest.raises(SurveyInUse):
            surveys.delete_survey(session, survey_id=used.id)
        surveys.delete_survey(session, survey_id=unused.id)  # the transaction is still usable after the refusal
    with db.unit_of_work() as session:
        assert surveys.get_survey(session, key="unused") is None
        assert surveys.require_survey(session, key="used").id == used.id
        assert len(surveys.list_versions(session, survey_id=used.id)) == 1
