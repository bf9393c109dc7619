"""The anonymous public link of a survey: `/s/k/{survey_key}`, no invitation, no customer."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from cxloop.channels.hosted import limits
from cxloop.core.clock import utcnow
from cxloop.core.rate_limit import RateLimiter
from cxloop.storage.database import Database
from cxloop.surveys.enums import SurveyStatus
from tests.channels.hosted.conftest import live_survey, responses, set_status
from tests.channels.hosted.html_page import assert_accessible, read, submit


def _token_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["response"][0]


def test_first_answer_creates_the_response_and_later_screens_extend_it(
    api: TestClient, db: Database, nps_survey: int
) -> None:
    start = read(api.get("/s/k/relationship-nps"))
    assert_accessible(start)
    assert start.action == "/s/k/relationship-nps"
    assert set(start.hidden()) == {"question", "lang", "nonce"}

    posted = submit(api, start, "6")
    assert posted.status_code == 303
    location = posted.headers["location"]
    assert location.startswith("/s/k/relationship-nps/q/improve?")
    (partial,) = responses(db)
    assert (partial.nps, partial.is_partial, partial.channel, partial.customer_id) == (6, True, "link", None)
    metric = api.get("/api/v1/metrics/nps", params={"channel": "link"}).json()["total"]
    assert metric["n"] == 1

    follow_up = read(api.get(location))
    assert follow_up.hidden()["response"] == _token_of(location)
    assert "nonce" not in follow_up.hidden()
    done = submit(api, follow_up, "More colours")
    assert done.headers["location"] == "/s/k/relationship-nps/thanks?lang=en"
    (complete,) = responses(db)
    assert (complete.id, complete.comment, complete.is_partial) == (partial.id, "More colours", False)
    assert read(api.get(done.headers["location"])).headings == ["Thank you!"]
    # A resend of the last screen stores nothing new.
    assert submit(api, follow_up, "More colours").headers["location"].endswith("/thanks?lang=en")
    assert len(responses(db)) == 1


def test_the_first_screen_posted_twice_is_one_response(client: TestClient, db: Database, nps_survey: int) -> None:
    start = read(client.get("/s/k/relationship-nps"))
    first, second = submit(client, start, "9"), submit(client, start, "9")
    assert first.status_code == second.status_code == 303
    assert len(responses(db)) == 1
    # A fresh visit (a new nonce) is a new response.
    submit(client, read(client.get("/s/k/relationship-nps")), "7")
    assert [r.nps for r in responses(db)] == [9, 7]


def test_language_follows_the_browser(client: TestClient, nps_survey: int) -> None:
    page = read(client.get("/s/k/relationship-nps", headers={"Accept-Language": "es-MX,es;q=0.8"}))
    assert page.lang == "es"
    assert page.legends == ["¿Qué probabilidad hay de que nos recomiende a un amigo o colega?"]
    assert read(client.get("/s/k/relationship-nps", params={"lang": "de"})).lang == "de"


def test_response_tokens_are_checked(client: TestClient, db: Database, nps_survey: int) -> None:
    location = submit(client, read(client.get("/s/k/relationship-nps")), "3").headers["location"]
    token = _token_of(location)
    other = live_survey(db, "post-support-csat")
    assert other
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get("/s/k/relationship-nps/q/improve", params={"response": tampered}).status_code == 404
    # A token of one survey's response does not open another survey's screens.
    assert client.get("/s/k/post-support-csat/q/resolved", params={"response": token}).status_code == 404
    signer = client.app.state.signer  # type: ignore[attr-defined]
    old = signer.sign(responses(db)[0].id, utcnow() - timedelta(seconds=1), purpose="response")
    assert client.get("/s/k/relationship-nps/q/improve", params={"response": old}).status_code == 410
    # An invitation token is not a response token, even for the same number.
    invitation_kind = signer.sign(responses(db)[0].id, utcnow() + timedelta(hours=1))
    refused = client.post(
        "/s/k/relationship-nps",
        data={"question": "improve", "answer": "x", "response": invitation_kind},
        follow_redirects=False,
    )
    assert refused.status_code == 404
    assert responses(db)[0].comment is None


def test_unknown_draft_and_closed_surveys(client: TestClient, db: Database) -> None:
    assert client.get("/s/k/no-such-survey").status_code == 404
    draft = live_survey(db, "onboarding-ces", status=SurveyStatus.draft)
    assert draft
    assert client.get("/s/k/onboarding-ces").status_code == 404
    closed = live_survey(db, "post-support-csat")
    set_status(db, closed, SurveyStatus.closed)
    shown = client.get("/s/k/post-support-csat")
    assert shown.status_code == 410
    assert read(shown).headings == ["This survey is closed"]
    refused = client.post("/s/k/post-support-csat", data={"question": "csat", "answer": "5", "nonce": "n" * 16})
    assert refused.status_code == 410
    assert responses(db) == []


def test_new_responses_are_rate_limited_per_client_address(client: TestClient, db: Database, nps_survey: int) -> None:
    client.app.state.rate_limiters = {limits.LINK: RateLimiter(rate=2, per=3600)}  # type: ignore[attr-defined]
    started = [submit(client, read(client.get("/s/k/relationship-nps")), score) for score in ("9", "8")]
    assert [r.status_code for r in started] == [303, 303]
    refused = submit(client, read(client.get("/s/k/relationship-nps")), "7")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert read(refused).headings == ["Please wait a moment"]
    assert [r.nps for r in responses(db)] == [9, 8]
    # Finishing a response already begun is not a new response: it is not limited.
    follow_up = read(client.get(started[0].headers["location"]))
    assert submit(client, follow_up, "Fast").status_code == 303
    assert [(r.nps, r.comment) for r in responses(db)] == [(9, "Fast"), (8, None)]
