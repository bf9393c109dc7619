"""Survey life cycle: allowed status moves through the API, and the effective status the clock and count give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from cxloop.surveys import lifecycle
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.models import Survey
from cxloop.surveys.templates import get_template


def _create(api: TestClient, **fields: object) -> dict[str, object]:
    body = get_template("post-support-csat").model_dump(mode="json") | {"key": "csat-life"} | fields
    created = api.post("/api/v1/surveys", json=body)
    assert created.status_code == 201, created.text
    result: dict[str, object] = created.json()
    return result


def test_status_moves_follow_the_life_cycle(api: TestClient) -> None:
    survey = _create(api)
    url = f"/api/v1/surveys/{survey['id']}"
    assert survey["status"] == "draft"
    assert survey["resurvey_days"] == 90 and survey["response_limit"] == "once"
    assert api.patch(url, json={"status": "live"}).json()["status"] == "live"
    refused = api.patch(url, json={"status": "draft"})
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "status"
    assert api.patch(url, json={"status": "paused"}).json()["status"] == "paused"
    assert api.patch(url, json={"status": "closed"}).json()["status"] == "closed"
    assert api.patch(url, json={"status": "live"}).json()["status"] == "live"  # reopened


def test_a_scheduled_survey_needs_its_opening(api: TestClient) -> None:
    missing = api.post(
        "/api/v1/surveys",
        json=get_template("post-support-csat").model_dump(mode="json") | {"key": "s1", "status": "scheduled"},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "opens_at"


def test_a_closing_before_the_opening_is_refused(api: TestClient) -> None:
    body = get_template("post-support-csat").model_dump(mode="json") | {
        "key": "s2",
        "opens_at": "2026-05-01T00:00:00Z",
        "closes_at": "2026-04-01T00:00:00Z",
    }
    refused = api.post("/api/v1/surveys", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "closes_at"


def test_the_effective_status_follows_the_clock_and_the_response_limit() -> None:
    opens = datetime(2026, 5, 1, tzinfo=UTC)
    survey = Survey(status="scheduled", opens_at=opens, closes_at=opens + timedelta(days=30), max_responses=100)
    assert lifecycle.effective_status(survey, now=opens - timedelta(seconds=1)) == SurveyStatus.scheduled
    assert lifecycle.effective_status(survey, now=opens, responses=10) == SurveyStatus.live
    assert lifecycle.effective_status(survey, now=opens, responses=100) == SurveyStatus.closed
    assert lifecycle.effective_status(survey, now=opens + timedelta(days=30), responses=0) == SurveyStatus.closed
    survey.status = "paused"
    assert lifecycle.effective_status(survey, now=opens + timedelta(days=1)) == SurveyStatus.paused
