"""/api/v1/accounts: CRUD, bulk upsert, listing, errors and roles."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.conftest import make_key


def test_account_lifecycle(api: TestClient) -> None:
    created = api.post(
        "/api/v1/accounts",
        json={
            "external_id": "acme",
            "name": "Acme",
            "plan": "enterprise",
            "arr": "120000.50",
            "renewal_date": "2025-01-31",
            "owner": "Grace",
            "attributes": {"region": "emea"},
        },
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["arr"] == 120000.5 and account["attributes"] == {"region": "emea"}
    assert api.post("/api/v1/accounts", json={"external_id": "acme"}).status_code == 409
    patched = api.patch(f"/api/v1/accounts/{account['id']}", json={"plan": "pro", "attributes": {"tier": 2}})
    assert patched.json()["plan"] == "pro" and patched.json()["attributes"] == {"region": "emea", "tier": 2}
    assert patched.json()["owner"] == "Grace"
    api.post("/api/v1/customers", json={"external_id": "u", "account_external_id": "acme"})
    assert api.delete(f"/api/v1/accounts/{account['id']}").status_code == 204
    assert api.get(f"/api/v1/accounts/{account['id']}").status_code == 404
    customer = api.get("/api/v1/customers").json()["items"][0]
    assert customer["account_id"] is None


def test_bulk_upsert_and_list(api: TestClient) -> None:
    result = api.post(
        "/api/v1/accounts/bulk",
        json={"items": [{"external_id": "a", "name": "Alpha", "plan": "pro"}, {"external_id": "b"}]},
    ).json()
    assert result["created"] == 2
    again = api.post("/api/v1/accounts/bulk", json={"items": [{"external_id": "b", "plan": "pro"}]}).json()
    assert again == {"ids": [result["ids"][1]], "created": 0, "updated": 1}
    listed = api.get("/api/v1/accounts", params={"plan": "pro", "sort": "-external_id"}).json()
    assert [a["external_id"] for a in listed["items"]] == ["b", "a"]
    assert listed["items"][0]["name"] == "b"  # the name defaults to the external id
    assert api.get("/api/v1/accounts", params={"q": "alp"}).json()["total"] == 1
    bad = api.post("/api/v1/accounts/bulk", json={"items": [{"external_id": "c", "arr": -1}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "items.0.arr"


def test_roles(client: TestClient, db: Database) -> None:
    viewer, agent = make_key(db, Role.viewer), make_key(db, Role.agent)
    assert client.get("/api/v1/accounts", headers=viewer).status_code == 200
    assert client.post("/api/v1/accounts", json={"external_id": "a"}, headers=agent).status_code == 403
    assert client.get("/api/v1/accounts/1", headers=viewer).status_code == 404
