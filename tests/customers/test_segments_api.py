"""/api/v1/segments: CRUD, validation with positions, members, refresh, roles."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.conftest import make_key


def _seed(api: TestClient) -> None:
    api.post(
        "/api/v1/customers/bulk",
        json={
            "items": [
                {"external_id": f"u{i}", "attributes": {"size": i * 100, "plan": "pro" if i % 2 else "free"}}
                for i in range(1, 6)
            ]
        },
    )


def _keys(response: Any) -> list[str]:
    return [c["external_id"] for c in response.json()["items"]]


def test_segment_lifecycle(api: TestClient) -> None:
    _seed(api)
    created = api.post("/api/v1/segments", json={"key": "big", "name": "Big", "filter": "size >= 300"})
    assert created.status_code == 201, created.text
    segment = created.json()
    assert segment["member_count"] == 3 and segment["refreshed_at"] and not segment["uses_events"]
    members = api.get(f"/api/v1/segments/{segment['id']}/members", params={"limit": 2, "sort": "-external_id"})
    assert _keys(members) == ["u5", "u4"] and members.json()["total"] == 3

    patched = api.patch(f"/api/v1/segments/{segment['id']}", json={"filter": "size >= 300 and plan = pro"})
    assert patched.json()["member_count"] == 2 and patched.json()["filter"] == "size >= 300 and plan = pro"
    assert api.get("/api/v1/segments").json()["items"][0]["key"] == "big"
    assert api.get(f"/api/v1/segments/{segment['id']}").json()["name"] == "Big"
    detail = api.get("/api/v1/customers", params={"q": "u5"}).json()["items"][0]
    assert api.get(f"/api/v1/customers/{detail['id']}").json()["segments"] == ["big"]

    refreshed = api.post(f"/api/v1/segments/{segment['id']}/refresh").json()
    assert refreshed == {"segment_id": segment["id"], "key": "big", "added": 0, "removed": 0, "members": 2}
    assert api.post("/api/v1/segments/refresh").json()[0]["members"] == 2

    assert api.delete(f"/api/v1/segments/{segment['id']}").status_code == 204
    assert api.get(f"/api/v1/segments/{segment['id']}").status_code == 404
    assert api.get(f"/api/v1/segments/{segment['id']}/members").status_code == 404


def test_invalid_filters_give_the_column(api: TestClient) -> None:
    response = api.post("/api/v1/segments", json={"key": "x", "name": "X", "filter": "company_size > "})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error == {
        "field": "filter",
        "message": "at column 16: expected a value after '>', found the end of the filter",
    }
    assert api.get("/api/v1/segments").json()["total"] == 0
    created = api.post("/api/v1/segments", json={"key": "ok", "name": "Ok", "filter": "a = 1"}).json()
    patched = api.patch(f"/api/v1/segments/{created['id']}", json={"filter": "a = (1"})
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "filter"
    assert api.get(f"/api/v1/segments/{created['id']}").json()["filter"] == "a = 1"


def test_validate_returns_the_parse_result(api: TestClient) -> None:
    _seed(api)
    ok = api.post(
        "/api/v1/segments/validate", json={"filter": "SIZE >= 200 AND event(login, 30 days) = 0 or tenure > 9 days"}
    )
    assert ok.status_code == 200
    assert ok.json() == {
        "valid": True,
        "normalized": "SIZE >= 200 and event(login, 30 days) = 0 or tenure > 9 days",
        "fields": ["SIZE", "event(login)", "tenure"],
        "uses_events": True,
        "time_dependent": True,
        "matches": 0,
    }
    assert api.post("/api/v1/segments/validate", json={"filter": "size >= 200"}).json()["matches"] == 4
    bad = api.post("/api/v1/segments/validate", json={"filter": "stage < 3"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["message"].startswith("at column 7: '<' compares numbers or dates")


def test_keys_are_unique_and_validated(api: TestClient) -> None:
    assert api.post("/api/v1/segments", json={"key": "vip", "name": "VIP", "filter": "a = 1"}).status_code == 201
    assert api.post("/api/v1/segments", json={"key": "vip", "name": "Again", "filter": "a = 1"}).status_code == 409
    bad = api.post("/api/v1/segments", json={"key": "Not A Key", "name": "", "filter": ""})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"key", "name", "filter"}


def test_roles(client: TestClient, db: Database) -> None:
    viewer, analyst, agent = make_key(db, Role.viewer), make_key(db, Role.analyst), make_key(db, Role.agent)
    body = {"key": "s", "name": "S", "filter": "a = 1"}
    assert client.post("/api/v1/segments", json=body, headers=agent).status_code == 403
    assert client.post("/api/v1/segments", json=body, headers=analyst).status_code == 201
    assert client.get("/api/v1/segments", headers=viewer).status_code == 200
    assert client.post("/api/v1/segments/validate", json={"filter": "a = 1"}, headers=viewer).status_code == 200
    assert client.delete("/api/v1/segments/1", headers=viewer).status_code == 403
    assert client.post("/api/v1/segments/refresh", headers=viewer).status_code == 403
