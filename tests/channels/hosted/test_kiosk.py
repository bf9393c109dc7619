"""The kiosk: five faces, an optional comment, a thank-you screen that returns to the start, a limit per device."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response

from cxloop.channels.hosted import limits
from cxloop.channels.hosted.kiosk import DEVICE_COOKIE
from cxloop.core.rate_limit import RateLimiter
from cxloop.storage.database import Database
from cxloop.surveys.enums import SurveyStatus
from tests.channels.hosted.conftest import custom_survey, live_survey, responses, set_status
from tests.channels.hosted.html_page import Page, assert_accessible, read


def _tap(client: TestClient, start: Page, face: str) -> Response:
    return client.post(start.action or "", data={**start.hidden(), "answer": face}, follow_redirects=False)


def test_kiosk_flow_score_comment_thanks_and_back_to_start(api: TestClient, db: Database) -> None:
    live_survey(db, "post-support-csat")
    opened = api.get("/kiosk/post-support-csat")
    assert opened.status_code == 200
    assert DEVICE_COOKIE in opened.cookies
    start = read(opened)
    assert start.lang == "en"
    assert_accessible(start)
    assert start.legends == ["How satisfied are you with the support you received?"]
    faces = {f.attrs["id"]: (f.attrs["value"], f.attrs["text"]) for f in start.fields if f.tag == "button"}
    assert faces["face-1"][0] == "1" and faces["face-1"][1].endswith("Very dissatisfied")
    assert faces["face-5"][0] == "5" and faces["face-5"][1].endswith("Very satisfied")
    assert len(faces) == 5

    tapped = _tap(api, start, "2")
    assert tapped.status_code == 303
    location = tapped.headers["location"]
    assert location.startswith("/kiosk/post-support-csat/comment?")
    (partial,) = responses(db)
    assert (partial.csat, partial.channel, partial.is_partial, partial.customer_id) == (2, "kiosk", True, None)
    assert api.get("/api/v1/metrics/csat", params={"channel": "kiosk"}).json()["total"]["n"] == 1

    comment = read(api.get(location))
    assert_accessible(comment)
    assert comment.labels["q-went-wrong"] == "What went wrong, and how could we have helped better?"
    assert comment.refresh == "120; url=/kiosk/post-support-csat?lang=en"  # an abandoned screen resets itself
    done = api.post(
        comment.action or "", data={**comment.hidden(), "answer": "Waited 40 minutes"}, follow_redirects=False
    )
    assert done.headers["location"] == "/kiosk/post-support-csat/thanks?lang=en"
    (complete,) = responses(db)
    assert (complete.id, complete.comment, complete.is_partial) == (partial.id, "Waited 40 minutes", False)

    thanks = read(api.get(done.headers["location"]))
    assert thanks.headings == ["Thank you!"]
    assert thanks.refresh == "5; url=/kiosk/post-support-csat?lang=en"


def test_skipping_the_comment_completes_the_response(client: TestClient, db: Database) -> None:
    live_survey(db, "post-support-csat")
    comment = read(client.get(_tap(client, read(client.get("/kiosk/post-support-csat")), "5").headers["location"]))
    assert comment.labels["q-went-well"] == "What did our team do well?"
    skipped = client.post(comment.action or "", data={**comment.hidden(), "action": "skip"}, follow_redirects=False)
    assert skipped.headers["location"].endswith("/thanks?lang=en")
    (stored,) = responses(db)
    assert (stored.csat, stored.comment, stored.is_partial) == (5, None, False)


def test_a_survey_without_a_follow_up_completes_at_the_tap(client: TestClient, db: Database) -> None:
    custom_survey(
        db,
        "front-desk",
        [{"id": "rating", "kind": "rating", "text": {"en": "How was your visit?", "de": "Wie war Ihr Besuch?"}}],
    )
    start = read(client.get("/kiosk/front-desk", params={"lang": "de"}))
    assert start.lang == "de"
    assert start.legends == ["Wie war Ihr Besuch?"]
    tapped = _tap(client, start, "4")
    assert tapped.headers["location"] == "/kiosk/front-desk/thanks?lang=de"
    (stored,) = responses(db)
    assert (stored.answers, stored.is_partial, stored.channel) == ({"rating": 4}, False, "kiosk")


def test_a_double_tap_is_stored_once(client: TestClient, db: Database) -> None:
    live_survey(db, "post-support-csat")
    start = read(client.get("/kiosk/post-support-csat"))
    _tap(client, start, "4")
    _tap(client, start, "4")
    assert len(responses(db)) == 1


def test_too_many_answers_from_one_device_get_a_429_and_store_nothing(client: TestClient, db: Database) -> None:
    live_survey(db, "post-support-csat")
    client.app.state.rate_limiters = {limits.KIOSK: RateLimiter(rate=3, per=3600)}  # type: ignore[attr-defined]
    for _ in range(3):
        assert _tap(client, read(client.get("/kiosk/post-support-csat")), "5").status_code == 303
    refused = _tap(client, read(client.get("/kiosk/post-support-csat")), "1")
    assert refused.status_code == 429
    page = read(refused)
    assert page.headings == ["Please wait a moment"]
    assert page.refresh is not None and page.refresh.endswith("url=/kiosk/post-support-csat?lang=en")
    assert [r.csat for r in responses(db)] == [5, 5, 5]

    # Another device (its own cookie) at the same address still answers.
    client.cookies.clear()
    assert _tap(client, read(client.get("/kiosk/post-support-csat")), "3").status_code == 303
    assert len(responses(db)) == 4


def test_only_csat_or_five_point_rating_surveys_run_on_a_kiosk(client: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    refused = client.get("/kiosk/relationship-nps")
    assert refused.status_code == 404
    assert "first question is not a CSAT or rating question" in read(refused).text
    custom_survey(db, "ten-stars", [{"id": "stars", "kind": "rating", "scale": 10, "text": {"en": "Stars?"}}])
    assert "5-point scale" in read(client.get("/kiosk/ten-stars")).text
    assert client.post("/kiosk/ten-stars", data={"answer": "5"}).status_code == 404
    assert client.get("/kiosk/no-such-survey").status_code == 404
    assert responses(db) == []


def test_closed_survey_and_bad_taps(client: TestClient, db: Database) -> None:
    survey_id = live_survey(db, "post-support-csat")
    start = read(client.get("/kiosk/post-support-csat"))
    refused = _tap(client, start, "9")
    assert refused.status_code == 422
    assert read(refused).alerts == ["Please choose one of the numbers."]
    set_status(db, survey_id, SurveyStatus.paused)
    assert client.get("/kiosk/post-support-csat").status_code == 410
    assert _tap(client, start, "4").status_code == 410
    assert responses(db) == []
