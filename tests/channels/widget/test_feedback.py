"""POST /widget/v1/feedback: the feedback button's rating, comment and image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cxloop.core.config import Settings
from cxloop.storage.database import Database
from tests.channels.widget.conftest import PNG, create_site, feedback_survey, responses

ORIGIN = "http://shop.example"


def payload(site: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"site_key": site["key"], "submission": "s-1", "url": "http://shop.example/cart", **fields}


def send_form(client: TestClient, body: dict[str, Any], image: bytes, name: str = "shot.png") -> Any:
    return client.post(
        "/widget/v1/feedback",
        data={"payload": json.dumps(body)},
        files={"image": (name, image, "image/png")},
        headers={"Origin": ORIGIN},
    )


def attachments(settings: Settings) -> list[Path]:
    folder = settings.data_dir / "widget-attachments"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_rating_and_comment_become_one_response(api: TestClient, db: Database) -> None:
    feedback_survey(db)
    site = create_site(api, feedback_survey="site-feedback")
    answer = api.post(
        "/widget/v1/feedback", json=payload(site, score=2, comment="The cart is slow"), headers={"Origin": ORIGIN}
    )
    assert answer.status_code == 201, answer.text
    (stored,) = responses(db)
    # The comment goes to the open question shown for a rating of 2.
    assert stored.answers == {"rating": 2, "wrong": "The cart is slow"}
    assert (stored.channel, stored.comment, stored.is_partial) == ("web", "The cart is slow", False)
    assert stored.meta == {"widget_site": site["key"], "source": "feedback_button", "url": "http://shop.example/cart"}
    again = api.post(
        "/widget/v1/feedback", json=payload(site, score=2, comment="The cart is slow"), headers={"Origin": ORIGIN}
    )
    assert again.json()["response_id"] == answer.json()["response_id"]
    assert len(responses(db)) == 1


def test_an_identified_customer_is_tied_to_the_feedback(api: TestClient, db: Database) -> None:
    feedback_survey(db)
    site = create_site(api, feedback_survey="site-feedback")
    answer = api.post("/widget/v1/feedback", json=payload(site, score=5, customer="cust-5"), headers={"Origin": ORIGIN})
    assert answer.status_code == 201, answer.text
    found = api.get("/api/v1/responses", params={"customer": "cust-5"}).json()
    assert [item["answers"] for item in found["items"]] == [{"rating": 5}]


def test_an_image_is_kept_as_a_file_referenced_by_the_response(
    api: TestClient, db: Database, settings: Settings
) -> None:
    feedback_survey(db)
    site = create_site(api, feedback_survey="site-feedback")
    answer = send_form(api, payload(site, score=4, comment="See the screenshot"), PNG, name="../../evil.php")
    assert answer.status_code == 201, answer.text
    (file,) = attachments(settings)
    assert file.read_bytes() == PNG and file.suffix == ".png"
    (stored,) = responses(db)
    assert stored.meta["attachments"] == [
        {"file": f"widget-attachments/{file.name}", "type": "image/png", "bytes": len(PNG)}
    ]
    assert answer.json()["attachment"] == f"widget-attachments/{file.name}"
    resent = send_form(api, payload(site, score=4, comment="See the screenshot"), PNG)
    assert resent.json()["response_id"] == stored.id
    assert attachments(settings) == [file]  # the resend's copy is not kept


def test_a_file_that_is_not_an_image_is_refused(api: TestClient, db: Database, settings: Settings) -> None:
    feedback_survey(db)
    site = create_site(api, feedback_survey="site-feedback")
    answer = send_form(api, payload(site, score=4), b"<?php echo 'hi'; ?>")
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "image", "message": "must be a PNG, JPEG, GIF or WebP image"}]
    assert responses(db) == [] and attachments(settings) == []


def test_an_oversized_image_gets_413_and_nothing_is_stored(api: TestClient, db: Database, settings: Settings) -> None:
    feedback_survey(db)
    site = create_site(api, feedback_survey="site-feedback")
    answer = send_form(api, payload(site, score=4), PNG + b"\0" * (2 * 1024 * 1024))
    assert answer.status_code == 413
    assert "2 MB" in answer.json()["detail"]
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert responses(db) == [] and attachments(settings) == []


def test_bad_feedback_names_the_fields_and_stores_nothing(api: TestClient, db: Database, settings: Settings) -> None:
    feedback_survey(db)
    site = create_site(api, feedback_survey="site-feedback")
    out_of_range = api.post("/widget/v1/feedback", json=payload(site, score=9), headers={"Origin": ORIGIN})
    assert out_of_range.status_code == 422
    assert out_of_range.json()["errors"] == [{"field": "score", "message": "must be a whole number from 1 to 5"}]
    empty = api.post("/widget/v1/feedback", json=payload(site), headers={"Origin": ORIGIN})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "score"
    bad_form = send_form(api, payload(site, score=6), PNG)
    assert bad_form.status_code == 422
    assert responses(db) == [] and attachments(settings) == []


def test_a_site_without_a_feedback_survey_says_so(api: TestClient, db: Database) -> None:
    site = create_site(api)
    answer = api.post("/widget/v1/feedback", json=payload(site, score=3), headers={"Origin": ORIGIN})
    assert answer.status_code == 404
    assert "no feedback survey" in answer.json()["detail"]
