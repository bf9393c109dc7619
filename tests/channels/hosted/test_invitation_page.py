"""The hosted page of an invitation, driven like a browser without JavaScript (plain form posts, 303 redirects)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cxloop.core.clock import utcnow
from cxloop.storage.database import Database
from cxloop.surveys.enums import SurveyStatus
from tests.channels.hosted.conftest import invitation, invite, live_survey, responses, set_status
from tests.channels.hosted.html_page import assert_accessible, read, submit


def _nps(api: TestClient) -> dict[str, object]:
    result = api.get("/api/v1/metrics/nps", params={"survey": "relationship-nps"})
    assert result.status_code == 200, result.text
    total: dict[str, object] = result.json()["total"]
    return total


def test_full_flow_stores_the_score_at_once_then_completes(api: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(api, db, nps_survey)

    opened = api.get(f"/s/{invited.token}")
    assert opened.status_code == 200
    page = read(opened)
    assert page.lang == "en"
    assert_accessible(page)
    assert page.legends == ["How likely are you to recommend us to a friend or colleague?"]
    radios = [f for f in page.fields if f.type == "radio"]
    assert [r.attrs["value"] for r in radios] == [str(n) for n in range(11)]
    assert all(r.name == "answer" and page.label_of(r.attrs["id"]) == r.attrs["value"] for r in radios)
    assert page.hidden() == {"question": "nps"}
    assert "skip" not in page.buttons()  # the score is required
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert invitation(db, invited.invitation_id).status == "opened"
    assert responses(db) == []

    posted = submit(api, page, "3")
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/s/{invited.token}/q/improve"
    (partial,) = responses(db)
    assert (partial.nps, partial.is_partial, partial.channel) == (3, True, "email")
    assert partial.customer_id == invited.customer_id
    assert partial.idempotency_key == f"invitation:{invited.invitation_id}"
    stored = invitation(db, invited.invitation_id)
    assert (stored.status, stored.response_id) == ("answered", partial.id)
    # The partial response counts in the metrics already: a customer who stops here still counts.
    assert (_nps(api)["n"], _nps(api)["value"]) == (1, -100.0)

    follow_up = read(api.get(posted.headers["location"]))
    assert_accessible(follow_up)
    assert follow_up.labels["q-improve"] == "We are sorry to hear that. What should we do better?"
    assert follow_up.links["back"] == f"/s/{invited.token}/q/nps"
    assert set(follow_up.buttons()) == {"next", "skip"}
    assert follow_up.fields[-2].attrs.get("text") == "Send"  # the last screen sends

    done = submit(api, follow_up, "Delivery was late twice.")
    assert (done.status_code, done.headers["location"]) == (303, f"/s/{invited.token}")
    (complete,) = responses(db)
    assert (complete.id, complete.is_partial, complete.comment) == (partial.id, False, "Delivery was late twice.")
    assert complete.answers == {"nps": 3, "improve": "Delivery was late twice."}
    assert _nps(api)["n"] == 1

    thanks = api.get(done.headers["location"])
    assert thanks.status_code == 200
    assert read(thanks).headings == ["Thank you!"]


def test_posting_the_same_answers_twice_stores_one_response(api: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(api, db, nps_survey)
    page = read(api.get(f"/s/{invited.token}"))
    assert submit(api, page, "10").status_code == 303
    assert submit(api, page, "10").status_code == 303
    follow_up = read(api.get(f"/s/{invited.token}/q/like"))
    assert submit(api, follow_up, "Friendly people").headers["location"] == f"/s/{invited.token}"
    again = submit(api, follow_up, "Friendly people")
    assert (again.status_code, again.headers["location"]) == (303, f"/s/{invited.token}")
    (stored,) = responses(db)
    assert (stored.nps, stored.comment, stored.is_partial) == (10, "Friendly people", False)
    assert _nps(api)["n"] == 1


def test_skipping_the_comment_completes_with_the_score(api: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(api, db, nps_survey)
    submit(api, read(api.get(f"/s/{invited.token}")), "8")
    follow_up = read(api.get(f"/s/{invited.token}/q/missing"))
    skipped = submit(api, follow_up, "", action="skip")
    assert skipped.headers["location"] == f"/s/{invited.token}"
    (stored,) = responses(db)
    assert (stored.nps, stored.comment, stored.is_partial) == (8, None, False)


def test_german_customer_gets_german_text(client: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(client, db, nps_survey, locale="de-AT")
    page = read(client.get(f"/s/{invited.token}"))
    assert page.lang == "de"
    assert page.legends == ["Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?"]
    assert page.buttons() == {"next": "next"}
    assert [f.attrs["text"] for f in page.fields if f.tag == "button"] == ["Weiter"]
    assert "0 = Überhaupt nicht wahrscheinlich" in page.text
    follow_up = read(client.get(submit(client, page, "9").headers["location"]))
    assert follow_up.labels["q-like"] == "Das freut uns! Was gefällt Ihnen an uns am besten?"


def test_a_locale_the_survey_lacks_falls_back_to_its_default(client: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(client, db, nps_survey, locale="fr")
    page = read(client.get(f"/s/{invited.token}"))
    assert page.lang == "en"
    assert page.legends == ["How likely are you to recommend us to a friend or colleague?"]


def test_one_click_link_shows_the_score_chosen_and_stores_it_when_sent(
    client: TestClient, db: Database, nps_survey: int
) -> None:
    invited = invite(client, db, nps_survey)
    clicked = client.get(f"/s/{invited.token}", params={"nps": "9"}, follow_redirects=False)
    assert clicked.status_code == 200
    page = read(clicked)
    assert next(f for f in page.fields if f.attrs.get("value") == "9").attrs.get("checked") is not None
    assert "You chose 9. Press the button below to send your answer." in page.text
    assert_accessible(page)
    assert responses(db) == [], "opening the link stores nothing"

    sent = submit(client, page, "9")  # the customer presses the button
    assert sent.headers["location"] == f"/s/{invited.token}/q/like"
    (stored,) = responses(db)
    assert (stored.nps, stored.is_partial) == (9, True)

    # The customer's own later answer replaces the first, and the follow-up follows the new score.
    first = read(client.get(f"/s/{invited.token}/q/nps"))
    changed = submit(client, first, "5")
    assert changed.headers["location"] == f"/s/{invited.token}/q/improve"
    (stored,) = responses(db)
    assert stored.nps == 5


SAFE_LINKS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)


def test_a_scanner_opening_every_score_link_at_once_stores_nothing(
    client: TestClient, db: Database, nps_survey: int
) -> None:
    invited = invite(client, db, nps_survey)
    for score in range(11):  # what a link scanner does with the email: every link, within a second
        opened = client.get(f"/s/{invited.token}", params={"nps": str(score)}, headers={"User-Agent": SAFE_LINKS})
        assert opened.status_code == 200
    assert responses(db) == []
    # The customer's real click still works afterwards.
    page = read(client.get(f"/s/{invited.token}", params={"nps": "3"}))
    submit(client, page, "3")
    (stored,) = responses(db)
    assert stored.nps == 3


def test_one_click_with_a_bad_value_shows_the_question_with_the_problem(
    client: TestClient, db: Database, nps_survey: int
) -> None:
    invited = invite(client, db, nps_survey)
    shown = client.get(f"/s/{invited.token}", params={"nps": "11"})
    assert shown.status_code == 422
    assert read(shown).alerts == ["Please choose one of the numbers."]
    assert responses(db) == []


def test_one_click_never_changes_a_completed_response(client: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(client, db, nps_survey)
    submit(client, read(client.get(f"/s/{invited.token}", params={"nps": "9"})), "9")
    submit(client, read(client.get(f"/s/{invited.token}/q/like")), "All good")
    again = client.get(f"/s/{invited.token}", params={"nps": "2"})
    assert read(again).headings == ["Thank you!"]
    (stored,) = responses(db)
    assert (stored.nps, stored.is_partial) == (9, False)


def test_a_changed_score_drops_the_follow_up_it_hides(client: TestClient, db: Database) -> None:
    survey_id = live_survey(db, "post-delivery-csat")
    invited = invite(client, db, survey_id)
    start = read(client.get(f"/s/{invited.token}"))
    problems = read(client.get(submit(client, start, "2").headers["location"]))
    assert_accessible(problems)
    assert [f.type for f in problems.visible_fields()][:5] == ["checkbox"] * 5
    assert submit(client, problems, ["late", "damaged"]).headers["location"] == f"/s/{invited.token}/q/details"
    assert responses(db)[0].answers == {"csat": 2, "problems": ["late", "damaged"]}

    back = read(client.get(f"/s/{invited.token}/q/csat"))
    assert submit(client, back, "5").headers["location"] == f"/s/{invited.token}/q/liked"
    (stored,) = responses(db)
    assert (stored.answers, stored.csat, stored.is_partial) == ({"csat": 5}, 5, True)


def test_invalid_answers_are_shown_on_the_same_screen_and_nothing_is_stored(
    client: TestClient, db: Database, nps_survey: int
) -> None:
    invited = invite(client, db, nps_survey)
    page = read(client.get(f"/s/{invited.token}"))
    for answer in ("11", "nine", ""):
        refused = submit(client, page, answer)
        assert refused.status_code == 422
        shown = read(refused)
        assert len(shown.alerts) == 1
        assert all(f.attrs.get("aria-invalid") == "true" for f in shown.fields if f.type == "radio")
        assert "q-nps-error" in shown.ids
    assert responses(db) == []


def test_a_question_that_is_not_shown_cannot_be_answered(client: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(client, db, nps_survey)
    refused = client.post(f"/s/{invited.token}", data={"question": "like", "answer": "sneaky"}, follow_redirects=False)
    assert (refused.status_code, refused.headers["location"]) == (303, f"/s/{invited.token}")
    assert responses(db) == []


@pytest.mark.parametrize("token", ["abc", "1.2.3", "0.zzzzzz.AAAAAAAAAAAAAAAAAAAAAA"])
def test_unknown_token_is_a_404_page(client: TestClient, token: str) -> None:
    for response in (client.get(f"/s/{token}"), client.post(f"/s/{token}", data={"question": "nps", "answer": "9"})):
        assert response.status_code == 404
        assert read(response).headings == ["This link is not valid"]


def test_tampered_token_is_a_404_page(client: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(client, db, nps_survey)
    body, signature = invited.token.rsplit(".", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for tampered in (f"{body}.{flipped}", f"{int(body.split('.')[0], 36) + 1:x}.{body.split('.')[1]}.{signature}"):
        assert client.get(f"/s/{tampered}").status_code == 404
    assert invitation(db, invited.invitation_id).status == "sent"


def test_expired_token_is_a_410_page_and_stores_nothing(client: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(client, db, nps_survey, locale="de")
    signer = client.app.state.signer  # type: ignore[attr-defined]
    expired = signer.sign(invited.invitation_id, utcnow() - timedelta(minutes=1))
    shown = client.get(f"/s/{expired}", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert shown.status_code == 410
    assert read(shown).headings == ["Dieser Link ist abgelaufen"]
    assert client.post(f"/s/{expired}", data={"question": "nps", "answer": "9"}).status_code == 410
    assert responses(db) == []
    assert invitation(db, invited.invitation_id).status == "sent"


def test_closed_survey_shows_the_closed_page(client: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(client, db, nps_survey)
    set_status(db, nps_survey, SurveyStatus.closed)
    shown = client.get(f"/s/{invited.token}")
    assert shown.status_code == 410
    assert read(shown).headings == ["This survey is closed"]
    assert client.post(f"/s/{invited.token}", data={"question": "nps", "answer": "9"}).status_code == 410
    assert responses(db) == []


def test_a_customer_who_began_may_finish_after_the_survey_closes(
    client: TestClient, db: Database, nps_survey: int
) -> None:
    invited = invite(client, db, nps_survey)
    submit(client, read(client.get(f"/s/{invited.token}")), "10")
    set_status(db, nps_survey, SurveyStatus.closed)
    follow_up = read(client.get(f"/s/{invited.token}/q/like"))
    assert submit(client, follow_up, "Quick answers").status_code == 303
    (stored,) = responses(db)
    assert (stored.comment, stored.is_partial) == ("Quick answers", False)


def test_pages_render_without_any_script(client: TestClient, db: Database, nps_survey: int) -> None:
    invited = invite(client, db, nps_survey)
    opened = client.get(f"/s/{invited.token}")
    assert "<script" not in opened.text
    assert "script-src" not in opened.headers["content-security-policy"]
    assert opened.headers["cache-control"] == "no-store"
