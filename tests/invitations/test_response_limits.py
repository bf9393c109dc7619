"""A survey's response limit under the contact policy, on both databases: the quarterly relationship NPS lets a
customer who answered in Q1 answer again in Q2, and refuses a second answer within its period by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.invitations import service as invitations
from cxloop.invitations.service import InviteRequest
from cxloop.storage.database import Database
from cxloop.surveys.templates import get_template
from tests.factories.customers import make_customer
from tests.invitations.conftest import live_survey

Q1 = datetime(2026, 1, 5, 9, tzinfo=UTC)
Q2 = Q1 + timedelta(days=90)


def _invite(db: Database, survey_id: int, customer_id: int, at: datetime) -> tuple[str, str | None]:
    with db.unit_of_work(write=True) as session:
        found = invitations.invite(session, InviteRequest(survey_id, customer_id, "email", at=at), now=at)
        return found.status, found.reason


def _answer(db: Database, key: str, external_id: str, at: datetime) -> None:
    with db.unit_of_work(write=True) as session:
        item = ResponseCreate(survey=key, nps=8, customer_external_id=external_id, submitted_at=at)
        collection.record_responses(session, items=[item])


def test_the_shipped_relationship_nps_is_answered_once_per_period_not_once_ever() -> None:
    template = get_template("relationship-nps")
    assert (template.response_limit, template.response_period_days) == ("per_period", 60)


def test_a_quarterly_programme_asks_again_each_quarter_and_refuses_a_second_answer_in_the_period(
    db: Database,
) -> None:
    survey_id = live_survey(db, key="rnps")  # the shipped template: once per 60 days
    once = live_survey(db, key="rnps-once", response_limit="once")
    with db.unit_of_work() as session:
        customer_id = make_customer(session, external_id="ana", email="ana@example.com").id
        other_id = make_customer(session, external_id="bo", email="bo@example.com").id

    assert _invite(db, survey_id, customer_id, Q1) == ("scheduled", None)
    _answer(db, "rnps", "ana", Q1 + timedelta(days=20))  # answered late in the quarter
    assert _invite(db, survey_id, customer_id, Q2) == ("scheduled", None)  # invited again in Q2 ...
    _answer(db, "rnps", "ana", Q2 + timedelta(days=1))  # ... and answers again
    # Another invitation within 60 days of that answer is suppressed by name (before the re-survey interval).
    assert _invite(db, survey_id, customer_id, Q2 + timedelta(days=30)) == ("suppressed", "answered_in_period")
    assert _invite(db, survey_id, customer_id, Q2 + timedelta(days=180)) == ("scheduled", None)

    # The old behaviour stays available: once ever.
    assert _invite(db, once, other_id, Q1) == ("scheduled", None)
    _answer(db, "rnps-once", "bo", Q1 + timedelta(days=2))
    assert _invite(db, once, other_id, Q2) == ("suppressed", "already_answered")


def test_the_response_limit_is_set_and_checked_through_the_api(api: TestClient) -> None:
    body = get_template("post-support-csat").model_dump(mode="json") | {"key": "csat-limits"}
    created = api.post("/api/v1/surveys", json=body | {"response_limit": "per_period"})
    assert created.status_code == 422
    assert created.json()["errors"][0]["field"].endswith("response_period_days")
    created = api.post("/api/v1/surveys", json=body | {"response_limit": "per_period", "response_period_days": 30})
    assert created.status_code == 201, created.text
    assert (created.json()["response_limit"], created.json()["response_period_days"]) == ("per_period", 30)
    url = f"/api/v1/surveys/{created.json()['id']}"
    assert api.patch(url, json={"response_limit": "per_invitation"}).json()["response_limit"] == "per_invitation"
    wrong = api.patch(url, json={"response_limit": "sometimes"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"].endswith("response_limit")
    assert api.patch(url, json={"response_period_days": None, "response_limit": "per_period"}).status_code == 422
