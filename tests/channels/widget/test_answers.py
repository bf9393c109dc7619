"""POST /widget/v1/responses: a prompt answered screen by screen, stored at the first answer."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.invitations.models import Invitation
from cxloop.storage.database import Database
from tests.channels.widget.conftest import create_site, live_survey, responses
from tests.factories.invitations import make_invitation

ORIGIN = "http://shop.example"


def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers={"Origin": ORIGIN})


def prompt(client: TestClient, site: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"site_key": site["key"], "url": "http://shop.example/done", "visitor": "v-1", **fields}
    decided = post(client, "/widget/v1/decide", body).json()
    assert decided["show"] is True, decided
    result: dict[str, Any] = decided["prompt"]
    return result


def test_an_anonymous_visitor_answers_the_score_then_the_follow_up(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    shown = prompt(api, site)
    first = post(
        api,
        "/widget/v1/responses",
        {
            "site_key": site["key"],
            "token": shown["token"],
            "question": "nps",
            "answer": 4,
            "url": "http://shop.example/",
        },
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["next"]["id"] == "improve"
    (stored,) = responses(db)
    assert (stored.nps, stored.is_partial, stored.channel, stored.customer_id) == (4, True, "web", None)
    assert stored.meta["widget_site"] == site["key"]
    second = post(
        api,
        "/widget/v1/responses",
        {
            "site_key": site["key"],
            "token": shown["token"],
            "response_token": body["response_token"],
            "question": "improve",
            "answer": "Faster delivery",
        },
    )
    assert second.status_code == 200, second.text
    assert second.json()["next"] is None
    (stored,) = responses(db)
    assert stored.answers == {"nps": 4, "improve": "Faster delivery"}
    assert stored.is_partial is False
    assert stored.comment == "Faster delivery"


def test_a_resent_first_answer_is_stored_once(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    shown = prompt(api, site)
    body = {"site_key": site["key"], "token": shown["token"], "question": "nps", "answer": 10}
    ids = {post(api, "/widget/v1/responses", body).json()["response_id"] for _ in range(2)}
    assert len(ids) == 1 and len(responses(db)) == 1


def test_a_customer_answers_their_invitation(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, channel="in_app", rules=[{"survey": "relationship-nps"}])
    shown = prompt(api, site, customer="cust-1")
    first = post(
        api, "/widget/v1/responses", {"site_key": site["key"], "token": shown["token"], "question": "nps", "answer": 9}
    )
    assert first.json()["next"]["id"] == "like"
    skipped = post(api, "/widget/v1/responses", {"site_key": site["key"], "token": shown["token"], "question": "like"})
    assert skipped.status_code == 200, skipped.text
    assert skipped.json()["next"] is None
    (stored,) = responses(db)
    assert (stored.nps, stored.is_partial, stored.channel) == (9, False, "in_app")
    with db.unit_of_work() as session:
        invitation = session.scalars(select(Invitation)).one()
    assert (invitation.status, invitation.response_id) == ("answered", stored.id)
    assert stored.customer_id == invitation.customer_id


def test_invalid_answers_are_refused_and_nothing_is_stored(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    shown = prompt(api, site)
    bad = post(
        api, "/widget/v1/responses", {"site_key": site["key"], "token": shown["token"], "question": "nps", "answer": 11}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].endswith("nps")
    assert responses(db) == []
    forged = post(
        api, "/widget/v1/responses", {"site_key": site["key"], "token": "1.abc.def", "question": "nps", "answer": 5}
    )
    assert forged.status_code == 404
    assert forged.json()["errors"] == [{"field": "token", "message": "is not a prompt token"}]
    missing = post(api, "/widget/v1/responses", {"site_key": site["key"], "question": "nps", "answer": 5})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "token"
    assert responses(db) == []


def test_an_emailed_invitation_cannot_be_answered_through_the_widget(api: TestClient, db: Database) -> None:
    survey_id = live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    with db.unit_of_work() as session:
        token = make_invitation(session, survey_id=survey_id, signer=api.app.state.signer).token
    body = {"site_key": site["key"], "token": token, "question": "nps", "answer": 7}
    answer = post(api, "/widget/v1/responses", body)
    assert answer.status_code == 404
    assert responses(db) == []
