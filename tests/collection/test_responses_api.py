"""POST/GET /api/v1/responses: happy paths, idempotency, batch atomicity, and every kind of bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.collection import routes
from cxloop.core.clock import utcnow
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from tests.collection.conftest import count_responses, rollup_total
from tests.conftest import make_key
from tests.factories.surveys import make_survey

URL = "/api/v1/responses"


def test_one_response_is_stored_and_scored(api: TestClient, db: Database, survey: Survey) -> None:
    sent = api.post(URL, json={"survey": "rnps", "nps": 3, "comment": "Too slow", "customer_external_id": "c-1"})
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["created"] == 1 and body["duplicates"] == 0 and len(body["ids"]) == 1
    stored = api.get(f"{URL}/{body['ids'][0]}").json()
    assert stored["survey"] == "rnps" and stored["version"] == 1
    assert (stored["nps"], stored["comment"]) == (3, "Too slow")
    assert stored["answers"] == {"q1": 3, "why-low": "Too slow"}
    assert stored["customer_external_id"] == "c-1" and stored["channel"] == "api"
    assert rollup_total(db, "nps") == 1


def test_a_batch_is_stored_together(api: TestClient, db: Database, survey: Survey) -> None:
    items = [
        {"survey": "rnps", "answers": {"q1": 10, "why-high": "fast"}, "channel": "email", "touchpoint": "relationship"},
        {"survey": "rnps", "nps": 8, "answers": {"plan": "pro", "speed": 9}, "submitted_at": "2024-03-01T10:00:00Z"},
    ]
    sent = api.post(URL, json={"items": items})
    assert sent.status_code == 201
    assert sent.json()["created"] == 2
    first, second = (api.get(f"{URL}/{i}").json() for i in sent.json()["ids"])
    assert first["touchpoint"] == "relationship" and first["stage_id"] is not None and first["comment"] == "fast"
    assert second["submitted_at"].startswith("2024-03-01T10:00:00") and second["answers"]["plan"] == "pro"
    assert rollup_total(db, "nps") == 2


def test_one_bad_item_rejects_the_whole_batch_naming_every_field(api: TestClient, db: Database, survey: Survey) -> None:
    items = [
        {"survey": "rnps", "nps": 9},
        {"survey": "rnps", "answers": {"q1": 11}},
        {"survey": "rnps", "nps": 9, "answers": {"why-low": "x", "zzz": 1}},
        {"survey": "rnps", "nps": "nine", "channel": "pigeon"},
        {
            "survey": "rnps",
            "nps": 5,
            "touchpoint": "nowhere",
            "submitted_at": (utcnow() + timedelta(hours=1)).isoformat(),
        },
    ]
    sent = api.post(URL, json={"items": items})
    assert sent.status_code == 422
    fields = {(e["field"], e["message"]) for e in sent.json()["errors"]}
    assert ("items.1.answers.q1", "must be a whole number from 0 to 10") in fields
    assert ("items.2.answers.why-low", "was not shown: it is asked only when q1 <= 6") in fields
    assert ("items.2.answers.zzz", "the survey has no question 'zzz'") in fields
    assert {f for f, _ in fields} >= {"items.3.nps", "items.3.channel", "items.4.touchpoint", "items.4.submitted_at"}
    assert not any(f.startswith("items.0.") for f, _ in fields)
    assert "4 of 5 responses" in sent.json()["detail"]
    assert count_responses(db) == 0
    assert rollup_total(db, "nps") == 0


def test_single_object_errors_name_its_own_fields(api: TestClient, survey: Survey) -> None:
    sent = api.post(URL, json={"survey": "rnps", "answers": {"q1": -1}, "colour": "red"})
    assert sent.status_code == 422
    assert {e["field"] for e in sent.json()["errors"]} == {"colour"}
    sent = api.post(URL, json={"survey": "rnps", "answers": {"q1": -1}})
    assert sent.json()["errors"] == [{"field": "answers.q1", "message": "must be a whole number from 0 to 10"}]
    assert sent.json()["detail"] == "the response is not valid; nothing was stored"


def test_unknown_survey_is_404_unless_other_problems_exist(api: TestClient, survey: Survey) -> None:
    alone = api.post(URL, json={"survey": "nope", "nps": 9})
    assert alone.status_code == 404
    assert alone.json()["errors"] == [{"field": "survey", "message": "no survey with key 'nope'"}]
    assert alone.json()["detail"] == "the survey does not exist; nothing was stored"
    mixed = api.post(URL, json={"items": [{"survey": "nope", "nps": 9}, {"survey": "rnps", "nps": 99}]})
    assert mixed.status_code == 422
    assert {e["field"] for e in mixed.json()["errors"]} == {"items.0.survey", "items.1.nps"}
    version = api.post(URL, json={"survey": "rnps", "version": 4, "nps": 9})
    assert version.status_code == 422 and version.json()["errors"][0]["field"] == "version"


def test_draft_surveys_take_no_responses_closed_ones_do(api: TestClient, db: Database) -> None:
    make_survey(db, key="draft", status="draft")
    make_survey(db, key="old", status="closed")
    draft = api.post(URL, json={"survey": "draft", "nps": 9})
    assert draft.status_code == 422 and "draft" in draft.json()["errors"][0]["message"]
    assert api.post(URL, json={"survey": "old", "nps": 9, "submitted_at": "2020-01-01T00:00:00Z"}).status_code == 201


def test_idempotency_key_single(api: TestClient, db: Database, survey: Survey) -> None:
    headers = {"Idempotency-Key": "abc-1"}
    first = api.post(URL, json={"survey": "rnps", "nps": 9}, headers=headers)
    again = api.post(URL, json={"survey": "rnps", "nps": 2}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"created": 0, "duplicates": 1, "ids": first.json()["ids"]}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_responses(db) == 1 and rollup_total(db, "nps") == 1


def test_idempotency_key_batch_uses_key_and_index(api: TestClient, db: Database, survey: Survey) -> None:
    items = [{"survey": "rnps", "nps": n} for n in (1, 5, 9)]
    first = api.post(URL, json={"items": items}, headers={"Idempotency-Key": "batch-7"})
    again = api.post(URL, json={"items": items}, headers={"Idempotency-Key": "batch-7"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["ids"] == first.json()["ids"] and again.json()["duplicates"] == 3
    stored = api.get(f"{URL}/{first.json()['ids'][2]}").json()
    assert stored["idempotency_key"] == "batch-7#2"
    # a longer batch with the same key: the first three are duplicates, the fourth is new
    more = api.post(URL, json={"items": [*items, {"survey": "rnps", "nps": 0}]}, headers={"Idempotency-Key": "batch-7"})
    assert more.status_code == 201 and (more.json()["created"], more.json()["duplicates"]) == (1, 3)
    assert count_responses(db) == 4


def test_item_keys_dedupe_within_one_batch(api: TestClient, db: Database, survey: Survey) -> None:
    items = [{"survey": "rnps", "nps": 9, "idempotency_key": "k"}, {"survey": "rnps", "nps": 9, "idempotency_key": "k"}]
    sent = api.post(URL, json={"items": items}).json()
    assert sent["created"] == 1 and sent["duplicates"] == 1 and sent["ids"][0] == sent["ids"][1]
    assert count_responses(db) == 1


def test_body_shape_and_size_limits(api: TestClient, survey: Survey, monkeypatch: pytest.MonkeyPatch) -> None:
    too_many = api.post(URL, json={"items": [{"survey": "rnps", "nps": 9}] * 1001})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "items"
    assert api.post(URL, json={"items": []}).status_code == 422
    assert api.post(URL, json=[{"survey": "rnps"}]).json()["errors"][0]["field"] == "body"
    bad_json = api.post(URL, content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422 and bad_json.json()["errors"][0]["field"] == "body"
    assert api.post(URL, json={"items": [], "extra": 1}).json()["errors"][0]["field"] == "extra"
    not_objects = api.post(URL, json={"items": [{"survey": "rnps", "nps": 1}, 7]})
    assert [e["field"] for e in not_objects.json()["errors"]] == ["items.1"]
    monkeypatch.setattr(routes, "MAX_BODY_BYTES", 100)
    big = api.post(URL, json={"items": [{"survey": "rnps", "nps": 9}] * 10})
    assert big.status_code == 413 and "larger" in big.json()["detail"]


def test_roles(client: TestClient, db: Database, survey: Survey) -> None:
    body = {"survey": "rnps", "nps": 9}
    assert client.post(URL, json=body).status_code == 401
    assert client.post(URL, json=body, headers=make_key(db, Role.viewer)).status_code == 403
    assert client.post(URL, json=body, headers=make_key(db, Role.agent)).status_code == 201
    viewer = make_key(db, Role.viewer)
    assert client.get(URL, headers=viewer).status_code == 200
    assert client.get(URL).status_code == 401


def test_list_filters_sorts_and_pages(api: TestClient, survey: Survey) -> None:
    items = [
        {
            "survey": "rnps",
            "nps": 1,
            "channel": "email",
            "customer_external_id": "a",
            "submitted_at": "2024-01-05T00:00:00Z",
        },
        {
            "survey": "rnps",
            "nps": 7,
            "channel": "sms",
            "customer_external_id": "b",
            "submitted_at": "2024-02-05T00:00:00Z",
        },
        {
            "survey": "rnps",
            "nps": 10,
            "channel": "email",
            "customer_external_id": "a",
            "submitted_at": "2024-03-05T00:00:00Z",
        },
    ]
    assert api.post(URL, json={"items": items}).status_code == 201
    newest_first = api.get(URL).json()
    assert [r["nps"] for r in newest_first["items"]] == [10, 7, 1] and newest_first["total"] == 3
    assert [r["nps"] for r in api.get(URL, params={"channel": "email", "sort": "nps"}).json()["items"]] == [1, 10]
    assert [r["nps"] for r in api.get(URL, params={"customer": "b"}).json()["items"]] == [7]
    window = api.get(URL, params={"since": "2024-02-01T00:00:00Z", "until": "2024-03-05T00:00:00Z"}).json()
    assert [r["nps"] for r in window["items"]] == [7]
    page = api.get(URL, params={"limit": 1, "offset": 1, "sort": "-nps"}).json()
    assert [r["nps"] for r in page["items"]] == [7] and page["total"] == 3
    assert api.get(URL, params={"survey": "other"}).json()["total"] == 0
    assert api.get(URL, params={"sort": "colour"}).status_code == 422
    assert api.get(f"{URL}/999").status_code == 404


@pytest.mark.parametrize("size", [1, 25])
def test_a_resend_answers_the_original_even_if_it_would_not_validate_now(
    api: TestClient, db: Database, survey: Survey, size: int
) -> None:
    items = [{"survey": "rnps", "nps": 9} for _ in range(size)]
    body: dict[str, object] = items[0] if size == 1 else {"items": items}
    first = api.post(URL, json=body, headers={"Idempotency-Key": "again"})
    assert first.status_code == 201
    with db.unit_of_work(write=True) as session:  # a draft again (the API refuses that move once live)
        session.get_one(Survey, survey.id).status = "draft"
    resent = api.post(URL, json=body, headers={"Idempotency-Key": "again"})
    assert resent.status_code == 200, resent.text
    assert resent.json()["ids"] == first.json()["ids"] and resent.json()["duplicates"] == size
    fresh = api.post(URL, json=body, headers={"Idempotency-Key": "new"})
    assert fresh.status_code == 422 and "draft" in fresh.json()["errors"][0]["message"]
    assert count_responses(db) == size


@pytest.mark.parametrize("when", [1_700_000_000, 1_700_000_000_000, 1.7e9])
def test_a_date_sent_as_a_number_is_refused_not_guessed(
    api: TestClient, db: Database, survey: Survey, when: float
) -> None:
    """Seconds or milliseconds since 1970? A number is refused with the field named; text is the only date."""
    sent = api.post(URL, json={"survey": "rnps", "nps": 9, "submitted_at": when})
    assert sent.status_code == 422
    assert sent.json()["errors"] == [
        {
            "field": "submitted_at",
            "message": "Value error, write the date as text in ISO 8601 (2026-12-07 or 2026-12-07T09:30:00Z), not as "
            "a number",
        }
    ]
    customer = api.post("/api/v1/customers", json={"external_id": "c-9", "signup_date": 20240101})
    assert customer.status_code == 422 and customer.json()["errors"][0]["field"] == "signup_date"
    assert count_responses(db) == 0
