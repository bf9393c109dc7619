"""POST /widget/v1/decide: the rules, the anonymous cap and sampling, and the contact policy for customers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.core.rate_limit import AsyncRateLimiter
from cxloop.invitations import service as invitation_service
from cxloop.invitations.models import Invitation
from cxloop.storage.database import Database
from tests.channels.widget.conftest import create_site, live_survey
from tests.factories.consent import record_consent
from tests.factories.customers import make_customer

ORIGIN = "http://shop.example"


def decide(client: TestClient, site: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"site_key": site["key"], "url": "http://shop.example/", "visitor": "v-1", **fields}
    answer = client.post("/widget/v1/decide", json=body, headers={"Origin": ORIGIN})
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    result: dict[str, Any] = answer.json()
    return result


def invitations(db: Database) -> list[Invitation]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(Invitation).order_by(Invitation.id)).all())


def test_rules_match_the_page_the_time_on_it_and_the_event(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(
        api,
        rules=[
            {"survey": "relationship-nps", "url_match": "/pricing*", "seconds_on_page": 30},
            {"survey": "relationship-nps", "event": "checkout_completed"},
        ],
    )
    assert decide(api, site, url="http://shop.example/about") == {
        "show": False,
        "reason": "no_matching_rule",
        "prompt": None,
    }
    assert decide(api, site, url="http://shop.example/pricing", seconds_on_page=10)["reason"] == "no_matching_rule"
    shown = decide(api, site, url="http://shop.example/pricing?plan=pro", seconds_on_page=31)
    assert shown["show"] is True
    assert shown["prompt"]["question"] == {
        "id": "nps",
        "kind": "nps",
        "text": "How likely are you to recommend us to a friend or colleague?",
        "required": True,
        "min": 0,
        "max": 10,
        "options": [],
    }
    assert decide(api, site, event="signed_up")["reason"] == "no_matching_rule"
    assert decide(api, site, event="checkout_completed", visitor="v-2")["show"] is True


def test_the_first_question_comes_in_the_visitors_locale(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    german = decide(api, site, locale="de-AT")["prompt"]
    assert german["locale"] == "de"
    assert german["question"]["text"].startswith("Wie wahrscheinlich")
    assert decide(api, site, locale="ja")["prompt"]["locale"] == "en"


def test_anonymous_visitors_are_capped_in_their_browser_and_sampled_stably(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, anonymous_cap_days=30, rules=[{"survey": "relationship-nps", "sampling_rate": 0.5}])
    api.app.state.widget_rate_limiter = AsyncRateLimiter(rate=1000, per=60)  # 120 asks from one address, on purpose
    recently = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    answers = {v: decide(api, site, visitor=f"v-{v}") for v in range(60)}
    shown = [v for v, found in answers.items() if found["show"]]
    assert 15 <= len(shown) <= 45  # about half
    assert {found["reason"] for found in answers.values() if not found["show"]} == {"sampled_out"}
    again = [v for v in range(60) if decide(api, site, visitor=f"v-{v}")["show"]]
    assert again == shown  # the same visitors every time
    capped = decide(api, site, visitor=f"v-{shown[0]}", last_prompted_at=recently)
    assert capped == {"show": False, "reason": "recently_prompted", "prompt": None}
    long_ago = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    assert decide(api, site, visitor=f"v-{shown[0]}", last_prompted_at=long_ago)["show"] is True
    naive = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None).isoformat()  # taken as UTC
    assert decide(api, site, visitor=f"v-{shown[0]}", last_prompted_at=naive)["reason"] == "recently_prompted"
    assert invitations(db) == []  # anonymous prompts create no invitations


def test_a_closed_survey_is_not_offered(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps", closes_at=datetime.now(UTC) - timedelta(minutes=1))
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    assert decide(api, site)["reason"] == "survey_closed"


def test_a_customer_shown_a_prompt_gets_one_invitation_per_day(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps", "event": "checkout_completed"}])
    first = decide(api, site, customer="cust-1", event="checkout_completed")
    assert first["show"] is True
    (invitation,) = invitations(db)
    assert (invitation.channel, invitation.status) == ("widget", "sent")
    again = decide(api, site, customer="cust-1", event="checkout_completed")
    assert again == {"show": False, "reason": "already_prompted", "prompt": None}
    assert len(invitations(db)) == 1


def test_the_contact_policy_decides_for_customers_and_refusals_are_stored(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    with db.unit_of_work() as session:
        customer = make_customer(session, external_id="opted-out")
        record_consent(session, customer.id, channel="*", granted=False)
    assert decide(api, site, customer="opted-out") == {"show": False, "reason": "opted_out", "prompt": None}
    (suppressed,) = invitations(db)
    assert (suppressed.status, suppressed.reason, suppressed.channel) == ("suppressed", "opted_out", "widget")
    # Asked again today: the same answer, from the stored occurrence, and no second row.
    assert decide(api, site, customer="opted-out")["reason"] == "opted_out"
    api.app.state.widget_occurrences = None  # another server process, which has not seen it yet, reads it
    assert decide(api, site, customer="opted-out")["reason"] == "opted_out"
    assert len(invitations(db)) == 1


def test_a_customer_surveyed_recently_is_not_asked_again(api: TestClient, db: Database) -> None:
    survey_id = live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    with db.unit_of_work() as session:
        customer = make_customer(session, external_id="cust-9", email="nine@example.com")
        earlier = invitation_service.invite(
            session,
            invitation_service.InviteRequest(
                survey_id=survey_id, customer_id=customer.id, channel="email", at=datetime.now(UTC) - timedelta(days=5)
            ),
        )
        assert earlier.status == "scheduled"
    assert decide(api, site, customer="cust-9")["reason"] == "resurvey_interval"


def test_unknown_customers_are_created_bare(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    assert decide(api, site, customer="new-7")["show"] is True
    found = api.get("/api/v1/customers", params={"external_id": "new-7"})
    assert found.status_code == 200


def test_bad_requests_name_the_fields(api: TestClient, db: Database) -> None:
    site = create_site(api)
    answer = api.post(
        "/widget/v1/decide",
        json={"site_key": site["key"], "url": "", "seconds_on_page": -1, "extra": 1},
        headers={"Origin": ORIGIN},
    )
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"url", "seconds_on_page", "extra"}
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    not_json = api.post("/widget/v1/decide", content=b"{nope", headers={"Origin": ORIGIN})
    assert not_json.status_code == 422 and not_json.json()["errors"][0]["field"] == "body"


def test_a_customer_emailed_today_gets_no_prompt_unless_prompts_weigh_nothing(api: TestClient, db: Database) -> None:
    live_survey(db, "relationship-nps")
    csat = live_survey(db, "post-support-csat")
    site = create_site(api, rules=[{"survey": "relationship-nps"}])
    with db.unit_of_work() as session:
        for external_id in ("emailed", "emailed-too"):
            customer = make_customer(session, external_id=external_id, email=f"{external_id}@example.com")
            request = invitation_service.InviteRequest(survey_id=csat, customer_id=customer.id, channel="email")
            assert invitation_service.invite(session, request).status == "scheduled"

    # Under the default policy (1 contact per 14 days) a prompt counts like the email sent today.
    assert decide(api, site, customer="emailed") == {"show": False, "reason": "frequency_cap", "prompt": None}
    refused = invitations(db)[-1]
    assert (refused.channel, refused.reason, refused.policy) == ("widget", "frequency_cap", "default")

    weights = api.patch("/api/v1/contact-policy", json={"channel_weights": {"widget": 0}})
    assert weights.status_code == 200, weights.text
    assert weights.json()["channel_weights"] == {"email": 1.0, "sms": 1.0, "link": 0.0, "widget": 0.0}
    assert decide(api, site, customer="emailed-too")["show"] is True
