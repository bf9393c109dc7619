"""The invitation's one response: stored at the first answer, extended later, rollups equal to a full recount."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cxloop.analytics import rollups
from cxloop.collection.errors import InvalidResponses
from cxloop.collection.models import Response
from cxloop.invitations.answers import record_anonymous, record_answers
from cxloop.invitations.models import Invitation
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from tests.factories.invitations import make_invitation
from tests.factories.responses import snapshot


def _invitation(db: Database, survey_id: int) -> int:
    with db.unit_of_work(write=True) as session:
        return make_invitation(session, survey_id=survey_id).invitation.id


def _answer(db: Database, invitation_id: int, answers: dict[str, object], *, complete: bool) -> int:
    with db.unit_of_work(write=True) as session:
        invitation = session.get_one(Invitation, invitation_id)
        return record_answers(session, invitation, answers, channel="email", complete=complete)


def _assert_rollups_match_a_recount(db: Database) -> None:
    with db.unit_of_work() as session:
        kept = snapshot(session)
    with db.unit_of_work(write=True) as session:
        rollups.rebuild_rollups(session)
        assert snapshot(session) == kept


def test_the_score_counts_at_once_and_the_comment_completes_the_same_response(db: Database, survey_id: int) -> None:
    invitation_id = _invitation(db, survey_id)
    first = _answer(db, invitation_id, {"nps": 4}, complete=False)
    again = _answer(db, invitation_id, {"nps": 4}, complete=False)  # the email link clicked twice
    assert first == again
    with db.unit_of_work() as session:
        response = session.get_one(Response, first)
        assert (response.nps, response.is_partial, response.channel) == (4, True, "email")
        invitation = session.get_one(Invitation, invitation_id)
        assert (invitation.status, invitation.response_id) == ("answered", first)
    _assert_rollups_match_a_recount(db)
    # The customer changes their mind on the page, then explains.
    _answer(db, invitation_id, {"nps": 8}, complete=False)
    final = _answer(db, invitation_id, {"missing": "More integrations"}, complete=True)
    assert final == first
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1
        response = session.get_one(Response, first)
        assert (response.nps, response.comment, response.is_partial) == (8, "More integrations", False)
    _assert_rollups_match_a_recount(db)


def test_an_invalid_answer_changes_nothing(db: Database, survey_id: int) -> None:
    invitation_id = _invitation(db, survey_id)
    response_id = _answer(db, invitation_id, {"nps": 9}, complete=False)
    with pytest.raises(InvalidResponses) as refused:
        _answer(db, invitation_id, {"nps": 11}, complete=True)
    assert refused.value.errors[0].field == "answers.nps"
    with db.unit_of_work() as session:
        response = session.get_one(Response, response_id)
        assert (response.nps, response.is_partial) == (9, True)


def test_an_anonymous_response_is_stored_once_per_key_and_extended(db: Database, survey_id: int) -> None:
    with db.unit_of_work(write=True) as session:
        survey = session.get_one(Survey, survey_id)
        first = record_anonymous(session, survey, {"nps": 10}, channel="kiosk", complete=False, key="kiosk:abc")
    with db.unit_of_work(write=True) as session:
        survey = session.get_one(Survey, survey_id)
        second = record_anonymous(
            session, survey, {"nps": 10, "like": "Friendly staff"}, channel="kiosk", complete=True, key="kiosk:abc"
        )
    assert first == second
    with db.unit_of_work() as session:
        response = session.get_one(Response, first)
        assert (response.customer_id, response.comment, response.is_partial) == (None, "Friendly staff", False)
    _assert_rollups_match_a_recount(db)
