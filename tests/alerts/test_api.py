"""/api/v1/alert-rules over HTTP: 422s naming the field and the reason, versions and audit entries, the dry run
(a saved rule and a draft) counting what the run then fires, roles, and `alert.fired` reaching a signed webhook
with the alerts it names looked up over the API. Both databases."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.audit import service as audit
from cxloop.jobs import service as outbox
from cxloop.storage.database import Database
from tests.alerts.conftest import add_survey, fired, relay, store_feedback, store_responses
from tests.notifications.conftest import sender
from tests.notifications.receiver import Receiver
from tests.notifications.receiver import receiver as receiver  # noqa: F401 - the fixture

DETRACTORS: dict[str, Any] = {
    "name": "Detractors",
    "conditions": [{"field": "nps", "op": "<=", "value": 6}],
    "actions": [{"kind": "notify"}],
}


def errors_of(reply: Any) -> dict[str, str]:
    assert reply.status_code == 422, reply.text
    return {e["field"]: e["message"] for e in reply.json()["errors"]}


def test_bad_rules_are_refused_naming_the_field_and_the_reason(api: TestClient) -> None:
    def refused(conditions: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, str]:
        body = {"name": "x", "conditions": conditions, "actions": actions or [{"kind": "notify"}]}
        return errors_of(api.post("/api/v1/alert-rules", json=body))

    unknown = refused([{"field": "nps", "op": "<=", "value": 6}, {"field": "mood", "op": "=", "value": "sad"}])
    assert list(unknown) == ["conditions[1].field"] and "unknown field 'mood'" in unknown["conditions[1].field"]
    assert "does not apply" in refused([{"field": "theme", "op": "<=", "value": "billing"}])["conditions[0].op"]
    assert "0-10 scale" in refused([{"field": "nps", "op": "<=", "value": 11}])["conditions[0].value"]
    assert "does not apply" in refused([{"field": "nps", "op": "contains", "value": "6"}])["conditions[0].op"]
    assert "list" in refused([{"field": "channel", "op": "in", "value": "email"}])["conditions[0].value"]
    assert "is a number" in refused([{"field": "arr", "op": ">=", "value": "lots"}])["conditions[0].value"]
    nan = {
        "name": "x",
        "conditions": [{"field": "arr", "op": ">=", "value": float("nan")}],
        "actions": [{"kind": "notify"}],
    }
    assert (
        api.post(
            "/api/v1/alert-rules", content=json.dumps(nan), headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert "no segment" in refused([{"field": "segment", "op": "=", "value": "nobody"}])["conditions"]
    both = refused([{"field": "nps", "op": "<=", "value": 6}, {"field": "rating", "op": "<=", "value": 2}])
    assert "no response or feedback item" in both["conditions"]
    assert "at most once" in refused([{"field": "nps", "op": "<=", "value": 6}], [{"kind": "notify"}] * 2)["actions"]
    assert api.post("/api/v1/alert-rules/try", json={"rule": DETRACTORS, "days": 0}).status_code == 422
    assert api.post("/api/v1/alert-rules/1/try?days=366").status_code == 422
    assert api.get("/api/v1/alert-rules").json() == []


def test_versions_enabled_flag_delete_and_audit(api: TestClient, db: Database) -> None:
    made = api.post("/api/v1/alert-rules", json=DETRACTORS)
    assert made.status_code == 201, made.text
    rule = made.json()
    assert (rule["version"], rule["enabled"]) == (1, False)
    on = api.patch(f"/api/v1/alert-rules/{rule['id']}", json={"enabled": True}).json()
    assert (on["version"], on["enabled"]) == (1, True)  # switching it on is not a new version
    changed = api.patch(
        f"/api/v1/alert-rules/{rule['id']}", json={"conditions": [{"field": "nps", "op": "<=", "value": 4}]}
    ).json()
    assert changed["version"] == 2 and changed["conditions"][0]["value"] == 4
    assert api.get(f"/api/v1/alert-rules/{rule['id']}").json() == changed
    assert api.patch(f"/api/v1/alert-rules/{rule['id']}", json={"name": ""}).status_code == 422
    assert api.delete(f"/api/v1/alert-rules/{rule['id']}").status_code == 204
    assert api.get(f"/api/v1/alert-rules/{rule['id']}").status_code == 404
    with db.unit_of_work() as session:
        entries = audit.list_entries(session, target_type="alert_rule", limit=10)
    actions = [e.action for e in reversed(entries.items)]
    assert actions == ["alert_rule.created", "alert_rule.updated", "alert_rule.updated", "alert_rule.deleted"]


def test_the_dry_run_counts_what_the_run_then_fires(api: TestClient, db: Database) -> None:
    add_survey(db)
    ids = store_responses(db, *({"nps": n, "comment": "slow" if n % 2 else "ok"} for n in range(11)))
    store_feedback(db, {"text": "So slow!", "rating": 1}, {"text": "great"})
    draft = {**DETRACTORS, "conditions": [{"field": "text", "op": "contains", "value": "slow"}]}
    tried = api.post("/api/v1/alert-rules/try", json={"rule": draft})
    assert tried.status_code == 200, tried.text
    assert tried.json() | {"since": None} == {
        "days": 30,
        "since": None,
        "matches": 6,
        "responses": 5,
        "feedback": 1,
        "anomalies": 0,
        "examined": 13,
    }
    rule = api.post("/api/v1/alert-rules", json=draft).json()
    assert api.post(f"/api/v1/alert-rules/{rule['id']}/try?days=7").json()["matches"] == 6
    assert fired(db) == []  # trying wrote nothing, and the rule is not on
    api.patch(f"/api/v1/alert-rules/{rule['id']}", json={"enabled": True})
    with db.unit_of_work(write=True) as session:  # the stored items go through the handlers again
        assert outbox.replay_events(session, name="response.received") == 1
        assert outbox.replay_events(session, name="feedback.received") == 1
    relay(db)
    assert len(fired(db)) == 6
    assert {i for s, i in fired(db) if s == "response"} == {i for n, i in enumerate(ids) if n % 2}


def test_an_alert_reaches_a_webhook_and_names_alerts_the_api_shows(
    api: TestClient, db: Database, receiver: Receiver
) -> None:
    hook = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["alert.fired"]}).json()
    rule = api.post("/api/v1/alert-rules", json={**DETRACTORS, "enabled": True}).json()
    add_survey(db)
    ids = store_responses(db, {"nps": 2}, {"nps": 10})
    assert sender(db).run_pass() == 1
    [got] = receiver.requests
    body = Webhook(hook["secret"]).verify(got.body, got.headers)
    assert body["type"] == "alert.fired"
    shown = api.get("/api/v1/alerts", params={"alert_id": body["data"]["alert_ids"]}).json()
    assert [(a["rule_id"], a["source"], a["source_id"]) for a in shown] == [(rule["id"], "response", ids[0])]


def test_roles(client: TestClient, db: Database) -> None:
    def key(role: Role) -> dict[str, str]:
        with db.unit_of_work() as session:
            _, plain = access.create_api_key(session, name=role.value, role=role)
        return {"Authorization": f"Bearer {plain}"}

    viewer, analyst = key(Role.viewer), key(Role.analyst)
    assert client.post("/api/v1/alert-rules", json=DETRACTORS, headers=viewer).status_code == 403
    assert client.post("/api/v1/alert-rules/try", json={"rule": DETRACTORS}, headers=viewer).status_code == 403
    assert client.post("/api/v1/alert-rules", json=DETRACTORS, headers=analyst).status_code == 201
    assert len(client.get("/api/v1/alert-rules", headers=viewer).json()) == 1
