"""Privacy requests, retention and branding are audited; audit entries are a retention kind, deleted only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient

from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditActor
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.privacy.retention import kinds
from cxloop.storage.database import Database
from tests.privacy.world import EMAIL, EXTERNAL_ID, IDENTIFIERS, build_world


def _entries(api: TestClient, action: str) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/audit", params={"action": action})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_privacy_requests_are_audited_by_customer_id_only(api: TestClient, db: Database, settings: Settings) -> None:
    build_world(db, settings.data_dir)
    exported = api.post("/api/v1/privacy/exports", params={"customer": EMAIL})
    assert exported.status_code == 200
    customer_id = exported.json()["customer_id"]
    erased = api.post("/api/v1/privacy/erasures", json={"customer": EXTERNAL_ID})
    assert erased.status_code == 201
    (export_entry,) = _entries(api, "privacy.exported")
    (erase_entry,) = _entries(api, "privacy.erased")
    assert export_entry["target_id"] == erase_entry["target_id"] == str(customer_id)
    assert erase_entry["changes"] == {"erasure_id": erased.json()["id"], "removed": erased.json()["removed"]}
    everything = orjson.dumps(api.get("/api/v1/audit").json()).decode()
    for identifier in IDENTIFIERS:  # entries outlive the erasure: they never name the person
        assert identifier not in everything


def test_retention_changes_and_runs_are_audited(api: TestClient) -> None:
    assert api.put("/api/v1/privacy/retention/events", json={"keep_days": 30, "action": "delete"}).status_code == 200
    assert api.delete("/api/v1/privacy/retention/events").status_code == 204
    changes = [e["changes"] for e in _entries(api, "retention_policy.changed")]
    assert {"keep_days": None} in changes and {"keep_days": 30, "action": "delete"} in changes
    api.post("/api/v1/privacy/retention/runs")  # a dry run is not an action
    assert _entries(api, "retention.run") == []
    api.post("/api/v1/privacy/retention/runs", params={"dry_run": "false"})
    assert len(_entries(api, "retention.run")) == 1


def test_branding_changes_are_audited_with_before_and_after(api: TestClient) -> None:
    api.patch("/api/v1/branding", json={"organisation_name": "Larkspur"})
    api.patch("/api/v1/branding", json={"organisation_name": "Larkspur Ltd", "primary_colour": "#1d6b52"})
    latest = _entries(api, "branding.changed")[0]
    assert latest["changes"]["organisation_name"] == ["Larkspur", "Larkspur Ltd"]  # [before, after]
    assert latest["changes"]["primary_colour"] == [None, "#1d6b52"]


def test_audit_entries_are_a_retention_kind_that_only_deletes(db: Database) -> None:
    kind = kinds.get("audit_entries")
    assert kind is not None and [a.value for a in kind.actions] == ["delete"]
    with db.unit_of_work(write=True) as session:
        for n in range(3):
            audit.record(session, actor=AuditActor.cli(), action=AuditAction.data_exported, target_id=f"file-{n}")
    later = utcnow() + timedelta(days=1)
    with db.unit_of_work() as session:
        assert kind.apply(session, before=later, action="delete", limit=None) == 3  # the dry run counts
    with db.unit_of_work(write=True) as session:
        assert kind.apply(session, before=later, action="delete", limit=2) == 2
    with db.unit_of_work() as session:
        left = audit.list_entries(session, limit=10).items
    assert sorted(e.action for e in left) == ["audit.purged", "data.exported"]  # the oldest two went, on the record


def test_webhook_destinations_are_audited_without_their_secrets(api: TestClient) -> None:
    slack = "https://hooks.slack.com/services/T000/B000/secretpart"
    made = api.post("/api/v1/webhooks", json={"kind": "slack", "url": slack})
    assert made.status_code == 201, made.text
    api.delete(f"/api/v1/webhooks/{made.json()['id']}")
    (created,) = _entries(api, "webhook.created")
    assert created["changes"]["host"] == [None, "https://hooks.slack.com"]
    assert len(_entries(api, "webhook.removed")) == 1
    assert "secretpart" not in orjson.dumps(api.get("/api/v1/audit").json()).decode()
