"""Invitations, consent and the contact policy through the management API, and the fatigue report."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.jobs import dispatch
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.invitations.conftest import live_survey


def _customer(api: TestClient, external_id: str, **fields: object) -> int:
    made = api.post("/api/v1/customers", json={"external_id": external_id, **fields})
    assert made.status_code in (200, 201), made.text
    customer_id: int = made.json()["id"]
    return customer_id


def test_invite_by_hand_then_report_what_happened(api: TestClient, db: Database) -> None:
    live_survey(db, key="rnps")
    _customer(api, "ann", email="ann@example.com")
    bo = _customer(api, "bo", email="bo@example.com")
    _customer(api, "cy")  # no address
    api.post(f"/api/v1/customers/{bo}/consent", json={"channel": "email", "granted": False, "note": "asked by phone"})
    made = {
        who: api.post("/api/v1/invitations", json={"survey": "rnps", "customer_external_id": who, "channel": "email"})
        for who in ("ann", "bo", "cy")
    }
    assert all(r.status_code == 201 for r in made.values())
    ann = made["ann"].json()
    assert ann["status"] == "scheduled" and ann["url"].startswith("http://127.0.0.1:8000/s/")
    assert (made["bo"].json()["reason"], made["bo"].json()["url"]) == ("opted_out", None)
    assert made["cy"].json()["reason"] == "no_address"
    link = api.post("/api/v1/invitations", json={"survey": "rnps", "customer_external_id": "cy", "channel": "link"})
    assert (link.json()["status"], link.json()["sent_at"] is not None) == ("sent", True)  # handed out by the caller

    report = api.get("/api/v1/invitation-report").json()["rows"]
    assert len(report) == 1
    whole = report[0]
    assert (whole["invitations"], whole["suppressed"], whole["pending"], whole["sent"]) == (4, 2, 1, 1)
    assert whole["suppressed_by_reason"] == {"opted_out": 1, "no_address": 1}
    # n = 1, none answered: the Wilson interval of 0 of 1 is [0, z^2 / (1 + z^2)], wide but never empty
    z2 = 1.959963984540054**2
    assert whole["response_rate"] == 0.0 and whole["response_rate_ci"] == [0.0, pytest.approx(100 * z2 / (1 + z2))]
    by_channel = api.get("/api/v1/invitation-report", params={"group_by": "channel"}).json()["rows"]
    assert [row["group"] for row in by_channel] == ["email", "link"]
    assert by_channel[0]["response_rate"] is None  # nothing sent by email: no rate, not 0 %

    listed = api.get("/api/v1/invitations", params={"status": "suppressed", "sort": "id"}).json()
    assert [item["reason"] for item in listed["items"]] == ["opted_out", "no_address"]
    assert listed["total"] == 2


def test_bad_invitations_name_the_field(api: TestClient, db: Database) -> None:
    live_survey(db, key="rnps")
    refused = api.post("/api/v1/invitations", json={"survey": "nope", "customer_external_id": "x", "channel": "email"})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"survey", "customer_external_id"}
    bad_channel = api.post(
        "/api/v1/invitations", json={"survey": "rnps", "customer_external_id": "x", "channel": "pigeon"}
    )
    assert bad_channel.status_code == 422
    assert bad_channel.json()["errors"][0]["field"] == "channel"


def test_consent_changes_are_recorded_with_who_and_how(api: TestClient) -> None:
    customer_id = _customer(api, "dee", phone="+12015550100")
    start = api.get(f"/api/v1/customers/{customer_id}/consent").json()
    research = start["defaults"]["research"]
    assert start["states"] == {} and research["sms"] is False and research["email"] is True
    api.post(f"/api/v1/customers/{customer_id}/consent", json={"channel": "sms", "granted": True, "note": "kiosk form"})
    after = api.get(f"/api/v1/customers/{customer_id}/consent").json()
    assert after["states"] == {"*": {"sms": True}}  # no purpose named: every purpose
    assert after["defaults"]["research"]["sms"] is True and after["defaults"]["follow_up"]["sms"] is True
    (change,) = after["history"]
    assert (change["purpose"], change["channel"], change["granted"], change["source"], change["note"]) == (
        "*",
        "sms",
        True,
        "api",
        "kiosk form",
    )
    assert change["actor"].startswith("api-key:")
    bad = api.post(f"/api/v1/customers/{customer_id}/consent", json={"channel": "fax", "granted": True})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "channel"
    assert api.get("/api/v1/customers/999999/consent").status_code == 404


def test_only_admins_change_the_contact_policy(api: TestClient, client: TestClient, db: Database) -> None:
    policy = api.get("/api/v1/contact-policy").json()
    assert (policy["max_invitations"], policy["window_days"], policy["quiet_channels"]) == (1, 14, ["sms"])
    changed = api.patch("/api/v1/contact-policy", json={"max_invitations": 2, "default_timezone": "Europe/Paris"})
    assert changed.json()["max_invitations"] == 2 and changed.json()["default_timezone"] == "Europe/Paris"
    bad = api.patch("/api/v1/contact-policy", json={"default_timezone": "Mars/Base", "quiet_start": "25:00"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"default_timezone", "quiet_start"}
    analyst = client.patch("/api/v1/contact-policy", json={"max_invitations": 5}, headers=make_key(db, Role.analyst))
    assert analyst.status_code == 403
    assert api.get("/api/v1/contact-policy").json()["max_invitations"] == 2


def test_an_invitation_due_now_is_queued_for_sending_after_commit(api: TestClient, db: Database) -> None:
    live_survey(db, key="rnps")
    _customer(api, "eve", email="eve@example.com")
    _customer(api, "fay", email="fay@example.com")
    calls: list[tuple[str, dict[str, object]]] = []
    previous = dispatch.installed()
    dispatch.install(lambda name, payload: calls.append((name, payload)))
    try:
        now = api.post(
            "/api/v1/invitations", json={"survey": "rnps", "customer_external_id": "eve", "channel": "email"}
        )
        later = api.post(
            "/api/v1/invitations",
            json={"survey": "rnps", "customer_external_id": "fay", "channel": "email", "send_at": "2099-01-01T10:00Z"},
        )
        link = api.post(
            "/api/v1/invitations", json={"survey": "rnps", "customer_external_id": "fay", "channel": "link"}
        )
        widget = api.post(
            "/api/v1/invitations", json={"survey": "rnps", "customer_external_id": "eve", "channel": "widget"}
        )
    finally:
        dispatch.install(previous)
    assert [r.status_code for r in (now, later, link, widget)] == [201] * 4
    # Only the email due now: the later one is the minute sweep's, links and widget prompts are never sent.
    assert calls == [("invitations.send", {"invitation_id": now.json()["id"]})]
    refused = api.post("/api/v1/invitations", json={"survey": "rnps", "customer_external_id": "eve", "channel": "web"})
    assert refused.status_code == 422  # a response channel, not one an invitation goes out on
    assert "'email', 'sms', 'link' or 'widget'" in refused.text


def test_links_that_answer_as_the_customer_are_shown_to_agents_and_above_only(
    api: TestClient, client: TestClient, db: Database
) -> None:
    live_survey(db, key="rnps")
    _customer(api, "ann", email="ann@example.com")
    made = api.post("/api/v1/invitations", json={"survey": "rnps", "customer_external_id": "ann", "channel": "email"})
    invitation_id = made.json()["id"]
    for role in Role:
        headers = make_key(db, role)
        listed = client.get("/api/v1/invitations", headers=headers)
        one = client.get(f"/api/v1/invitations/{invitation_id}", headers=headers)
        assert listed.status_code == one.status_code == 200
        urls = {listed.json()["items"][0]["url"], one.json()["url"]}
        if role is Role.viewer:
            assert urls == {None} and "url" in one.json()  # present, null: the schema's shape holds for every role
            assert "/s/" not in listed.text + one.text
        else:
            assert len(urls) == 1 and urls.pop().startswith("http://127.0.0.1:8000/s/"), role
    described = client.get("/openapi.json").json()["components"]["schemas"]["InvitationRead"]["properties"]["url"]
    assert "null for viewer keys" in described["description"]
