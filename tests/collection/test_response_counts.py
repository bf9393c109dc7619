"""count_responses per survey and last_answers: what the invitations domain asks of collection (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from tests.factories.surveys import make_survey


def test_responses_are_counted_per_survey_and_last_answers_name_who_answered_what_and_when(
    db: Database, survey: Survey
) -> None:
    other = make_survey(db, key="csat")
    at = datetime(2024, 5, 1, 12, tzinfo=UTC)
    with db.unit_of_work() as session:
        collection.record_responses(
            session,
            items=[
                ResponseCreate(survey="rnps", nps=9, customer_external_id="c1", submitted_at=at),
                ResponseCreate(survey="rnps", nps=3, customer_external_id="c1", submitted_at=at),
                ResponseCreate(survey="rnps", nps=7, submitted_at=at),
                ResponseCreate(survey="csat", nps=5, customer_external_id="c2", submitted_at=at),
            ],
        )
        ids = customers.resolve_customer_ids(session, external_ids=["c1", "c2"])
    with db.unit_of_work() as session:
        assert collection.count_responses(session, survey_id=survey.id) == 3
        assert collection.count_responses(session, survey_id=other.id) == 1
        assert collection.count_responses(session, survey_id=survey.id, since=at.replace(hour=13)) == 0
        assert collection.count_responses(session) == 4
        last = collection.last_answers(session, customer_ids=[ids["c1"], ids["c2"]], survey_ids=[survey.id, other.id])
        assert last == {(ids["c1"], survey.id): at, (ids["c2"], other.id): at}
        assert collection.last_answers(session, customer_ids=[ids["c2"]], survey_ids=[survey.id]) == {}
