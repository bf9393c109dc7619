"""The audit log through the API: each instrumented action leaves one entry with who, where and what changed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from cxloop.access.enums import Role
from cxloop.audit.sampling import FailedSignInSampler
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.factories.customers import make_customer
from tests.factories.surveys import make_survey, nps_definition
from tests.factories.triggers import rule_create

AUDIT = "/api/v1/audit"


def _entries(api: TestClient, **filters: Any) -> list[dict[str, Any]]:
    response = api.get(AUDIT, params=filters)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_api_key_creation_is_recorded_with_who_and_where_but_no_secret(api: TestClient, db: Database) -> None:
    created = api.post(
        "/api/v1/api-keys", json={"name": "zapier", "role": "agent"}, headers={"User-Agent": "ops-script/1"}
    )
    key = created.json()
    [entry] = _entries(api, action="api_key.created")
    assert entry["target_type"] == "api_key" and entry["target_id"] == str(key["id"])
    assert (
        entry["actor"].startswith("api_key:") and entry["actor_name"] == "test admin" and entry["actor_role"] == "admin"
    )
    assert entry["ip"] == "testclient" and entry["user_agent"] == "ops-script/1"
    assert entry["changes"] == {"name": "zapier", "role": "agent"}
    api.post("/api/v1/users", json={"email": "ann@example.com", "role": "viewer", "password": "correct horse battery"})
    with db.unit_of_work() as session:
        everything = " ".join(str(row) for row in session.execute(text("SELECT * FROM audit_entries")))
        digest = session.scalar(text("SELECT digest FROM api_keys WHERE id = :id"), {"id": key["id"]})
    assert key["key"] not in everything and digest not in everything and "correct horse" not in everything
    api.delete(f"/api/v1/api-keys/{key['id']}")
    assert _entries(api, action="api_key.revoked")[0]["target_id"] == str(key["id"])


def test_a_refused_change_leaves_no_entry(api: TestClient) -> None:
    assert api.delete("/api/v1/api-keys/999999").status_code == 404
    assert api.patch("/api/v1/trigger-rules/999999", json={"enabled": False}).status_code == 404
    assert _entries(api) == []


def test_role_changes_policy_consent_and_survey_status_are_recorded_with_before_and_after(
    api: TestClient, db: Database
) -> None:
    user = api.post("/api/v1/users", json={"email": "bo@example.com", "role": "viewer"}).json()
    api.patch(f"/api/v1/users/{user['id']}", json={"role": "analyst"})
    [role] = _entries(api, action="user.role_changed")
    assert role["changes"] == {"role": ["viewer", "analyst"]}
    api.patch("/api/v1/contact-policy", json={"max_invitations": 2})
    [policy] = _entries(api, action="contact_policy.changed")
    assert list(policy["changes"]) == ["max_invitations"] and policy["changes"]["max_invitations"][1] == 2
    with db.unit_of_work() as session:
        customer_id = make_customer(session).id
    api.post(
        f"/api/v1/customers/{customer_id}/consent", json={"channel": "email", "granted": False, "note": "by phone"}
    )
    [consent] = _entries(api, action="consent.changed")
    assert consent["target_id"] == str(customer_id) and consent["changes"]["granted"] is False
    survey = make_survey(db, status="draft")
    api.patch(f"/api/v1/surveys/{survey.id}", json={"status": "live"})
    api.patch(f"/api/v1/surveys/{survey.id}", json={"name": "Renamed"})
    api.patch(f"/api/v1/surveys/{survey.id}", json={"status": "closed"})
    actions = [e["action"] for e in _entries(api, target_type="survey", target_id=str(survey.id))]
    assert actions == ["survey.closed", "survey.updated", "survey.published"]
    assert _entries(api, action="survey.published")[0]["changes"]["status"] == ["draft", "live"]


def test_journeys_and_trigger_rules_are_recorded(api: TestClient, db: Database) -> None:
    survey = api.post(
        "/api/v1/surveys", json={"key": "csat", "name": "CSAT", "status": "live", "definition": nps_definition()}
    )
    rule = api.post(
        "/api/v1/trigger-rules", json=rule_create(survey.json()["id"]).model_dump(mode="json", warnings=False)
    ).json()
    api.patch(f"/api/v1/trigger-rules/{rule['id']}", json={"enabled": False})
    api.delete(f"/api/v1/trigger-rules/{rule['id']}")
    journey = api.post("/api/v1/journeys", json={"key": "onboarding", "name": "Onboarding"}).json()
    stage = api.post(f"/api/v1/journeys/{journey['id']}/stages", json={"key": "signup", "name": "Sign-up"}).json()
    api.patch(f"/api/v1/journeys/{journey['id']}/stages/{stage['id']}", json={"name": "Signed up"})
    api.delete(f"/api/v1/journeys/{journey['id']}")
    actions = [e["action"] for e in _entries(api)]
    assert actions == [
        "journey.deleted",
        "stage.updated",
        "stage.created",
        "journey.created",
        "trigger_rule.deleted",
        "trigger_rule.updated",
        "trigger_rule.created",
        "survey.created",
    ]
    assert _entries(api, action="trigger_rule.updated")[0]["changes"]["enabled"] == [True, False]
    assert _entries(api, action="stage.updated")[0]["changes"] == {"name": ["Sign-up", "Signed up"]}


def test_failed_sign_ins_are_recorded_sampled_per_address(client: TestClient, db: Database, monkeypatch: Any) -> None:
    monkeypatch.setattr("cxloop.access.deps.failed_sign_ins", FailedSignInSampler(window=3600, per_window=10))
    for _ in range(5):
        assert client.get("/api/v1/surveys", headers={"Authorization": "Bearer cxk_guess"}).status_code == 401
    assert client.get("/api/v1/surveys").status_code == 401  # no key at all is not a sign-in attempt
    admin = make_key(db, Role.admin)
    [entry] = client.get(AUDIT, params={"action": "auth.failed"}, headers=admin).json()["items"]
    assert entry["action"] == "auth.failed" and entry["actor"] == "anonymous" and entry["ip"] == "testclient"
    assert entry["changes"] == {"attempts": 1, "path": "/api/v1/surveys"}


def test_only_admins_read_the_log_and_bad_filters_name_the_field(client: TestClient, db: Database) -> None:
    assert client.get(AUDIT, headers=make_key(db, Role.analyst)).status_code == 403
    admin = make_key(db, Role.admin)
    naive = client.get(AUDIT, params={"since": "2026-01-01T00:00:00"}, headers=admin)
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "since"
    unknown = client.get(AUDIT, params={"action": "survey.exploded"}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "query.action"
    order = client.get(AUDIT, params={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, headers=admin)
    assert order.status_code == 422 and order.json()["errors"][0]["field"] == "until"
    assert client.get(AUDIT, params={"limit": 0}, headers=admin).status_code == 422
    # There is no way to change or delete entries over the API.
    assert client.delete(f"{AUDIT}/1", headers=admin).status_code in {404, 405}
    assert client.patch(AUDIT, json={}, headers=admin).status_code == 405


def test_segments_and_widget_sites_are_recorded(api: TestClient) -> None:
    segment = api.post("/api/v1/segments", json={"key": "big", "name": "Big", "filter": "plan = 'pro'"}).json()
    api.patch(f"/api/v1/segments/{segment['id']}", json={"filter": "plan = 'enterprise'"})
    api.delete(f"/api/v1/segments/{segment['id']}")
    site = api.post("/api/v1/widget-sites", json={"name": "Shop", "allowed_origins": ["https://shop.example"]}).json()
    api.patch(
        f"/api/v1/widget-sites/{site['id']}", json={"allowed_origins": ["https://shop.example", "https://x.example"]}
    )
    api.delete(f"/api/v1/widget-sites/{site['id']}")
    actions = [e["action"] for e in _entries(api)]
    assert actions == [
        "widget_site.deleted",
        "widget_site.updated",
        "widget_site.created",
        "segment.deleted",
        "segment.updated",
        "segment.created",
    ]
    assert _entries(api, action="segment.updated")[0]["changes"] == {"filter": ["plan = 'pro'", "plan = 'enterprise'"]}
    origins = _entries(api, action="widget_site.updated")[0]["changes"]["allowed_origins"]
    assert origins == [["https://shop.example"], ["https://shop.example", "https://x.example"]]


def test_every_change_to_a_journeys_parts_and_deletions_are_recorded(api: TestClient, db: Database) -> None:
    journey = api.post("/api/v1/journeys", json={"key": "support", "name": "Support"}).json()
    base = f"/api/v1/journeys/{journey['id']}"
    first = api.post(f"{base}/stages", json={"key": "ticket", "name": "Ticket"}).json()
    second = api.post(f"{base}/stages", json={"key": "solved", "name": "Solved"}).json()
    api.put(f"{base}/stages/order", json={"stage_ids": [second["id"], first["id"]]})
    point = api.post(f"{base}/touchpoints", json={"key": "chat", "name": "Chat", "stage": "ticket"}).json()
    api.patch(f"{base}/touchpoints/{point['id']}", json={"name": "Live chat"})
    api.delete(f"{base}/touchpoints/{point['id']}")
    api.delete(f"{base}/stages/{second['id']}")
    user = api.post("/api/v1/users", json={"email": "cy@example.com", "role": "viewer"}).json()
    api.patch(f"/api/v1/users/{user['id']}", json={"is_active": False})
    survey = make_survey(db, key="gone", status="draft")
    api.delete(f"/api/v1/surveys/{survey.id}")
    actions = [e["action"] for e in _entries(api)]
    assert actions[:9] == [
        "survey.deleted",
        "user.updated",
        "user.created",
        "stage.deleted",
        "touchpoint.deleted",
        "touchpoint.updated",
        "touchpoint.created",
        "journey.updated",
        "stage.created",
    ]
    reorder = _entries(api, action="journey.updated")[0]["changes"]
    assert reorder == {"stage_ids": [[first["id"], second["id"]], [second["id"], first["id"]]]}
    assert _entries(api, action="touchpoint.updated")[0]["changes"] == {"name": ["Chat", "Live chat"]}
    assert _entries(api, action="user.updated")[0]["changes"] == {"is_active": [True, False]}
    assert _entries(api, action="survey.deleted")[0]["changes"]["key"] == ["gone", None]
