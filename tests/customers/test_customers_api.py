"""/api/v1/customers: CRUD, bulk upsert (atomic, partial updates), listing filters, errors and roles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.conftest import make_key


def _fields(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_create_read_update_delete(api: TestClient) -> None:
    api.post("/api/v1/accounts", json={"external_id": "acme", "name": "Acme"})
    created = api.post(
        "/api/v1/customers",
        json={
            "external_id": "u-1",
            "email": " Ada@Example.COM ",
            "name": "Ada",
            "locale": "en_gb",
            "timezone": "Europe/Paris",
            "attributes": {"plan": "pro", "tags": ["a", "b"]},
            "account_external_id": "acme",
            "signup_date": "2024-05-01",
            "stage": "onboarding",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "ada@example.com" and body["locale"] == "en-GB"
    assert body["account_external_id"] == "acme" and body["stage"] == "onboarding"
    assert body["segments"] == []
    customer_id = body["id"]
    assert api.get(f"/api/v1/customers/{customer_id}").json()["name"] == "Ada"

    patched = api.patch(
        f"/api/v1/customers/{customer_id}", json={"name": "Ada L.", "attributes": {"plan": None, "seats": 3}}
    )
    assert patched.status_code == 200
    assert patched.json()["attributes"] == {"tags": ["a", "b"], "seats": 3}
    assert patched.json()["email"] == "ada@example.com"  # not sent, unchanged

    assert api.delete(f"/api/v1/customers/{customer_id}").status_code == 204
    assert api.get(f"/api/v1/customers/{customer_id}").status_code == 404


def test_duplicate_external_id_is_a_conflict(api: TestClient) -> None:
    assert api.post("/api/v1/customers", json={"external_id": "u-1"}).status_code == 201
    again = api.post("/api/v1/customers", json={"external_id": "u-1"})
    assert again.status_code == 409
    other = api.post("/api/v1/customers", json={"external_id": "u-2"}).json()
    renamed = api.patch(f"/api/v1/customers/{other['id']}", json={"external_id": "u-1"})
    assert renamed.status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"external_id": "x", "email": "not-an-email"}, "email"),
        ({"external_id": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"external_id": "x", "locale": "english!"}, "locale"),
        ({"external_id": "x", "attributes": {"nested": {"a": 1}}}, "attributes.nested"),
        ({"external_id": "x", "attributes": {"bad key": 1}}, "attributes.bad key.[key]"),
        ({"external_id": "x", "stage": "nowhere"}, "stage"),
        ({"external_id": "x", "account_external_id": "ghost"}, "account_external_id"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x", "surname": "typo"}, "surname"),
    ],
)
def test_bad_fields_are_named(api: TestClient, payload: dict[str, Any], field: str) -> None:
    response = api.post("/api/v1/customers", json=payload)
    assert response.status_code == 422
    assert field in _fields(response), response.json()


def test_bulk_upsert_is_atomic_and_names_every_bad_item(api: TestClient) -> None:
    response = api.post(
        "/api/v1/customers/bulk",
        json={
            "items": [
                {"external_id": "ok-1"},
                {"external_id": "bad", "stage": "nowhere"},
                {"external_id": "ok-2"},
                {"external_id": "bad-2", "account_external_id": "ghost"},
            ]
        },
    )
    assert response.status_code == 422
    assert set(_fields(response)) == {"items.1.stage", "items.3.account_external_id"}
    assert api.get("/api/v1/customers").json()["total"] == 0

    invalid = api.post(
        "/api/v1/customers/bulk", json={"items": [{"external_id": "a"}, {"external_id": "b", "email": "x"}]}
    )
    assert invalid.status_code == 422
    assert "items.1.email" in _fields(invalid)
    too_many = api.post("/api/v1/customers/bulk", json={"items": [{"external_id": str(i)} for i in range(1001)]})
    assert too_many.status_code == 422 and "items" in _fields(too_many)


def test_bulk_upsert_creates_then_updates_only_sent_fields(api: TestClient) -> None:
    first = api.post(
        "/api/v1/customers/bulk",
        json={
            "items": [
                {"external_id": "a", "email": "a@x.com", "name": "A", "attributes": {"k": 1, "j": 2}},
                {"external_id": "b", "name": "B"},
            ]
        },
    ).json()
    assert first["created"] == 2 and first["updated"] == 0
    second = api.post(
        "/api/v1/customers/bulk",
        json={
            "items": [
                {"external_id": "b", "email": "b@x.com"},
                {"external_id": "a", "email": None, "attributes": {"k": 5}},
                {"external_id": "c"},
            ]
        },
    ).json()
    assert second["created"] == 1 and second["updated"] == 2
    assert second["ids"][:2] == [first["ids"][1], first["ids"][0]]
    a = api.get(f"/api/v1/customers/{first['ids'][0]}").json()
    assert a["email"] is None and a["name"] == "A" and a["attributes"] == {"k": 5, "j": 2}
    b = api.get(f"/api/v1/customers/{first['ids'][1]}").json()
    assert b["email"] == "b@x.com" and b["name"] == "B"


def test_list_filters_sort_and_paginate(api: TestClient) -> None:
    api.post("/api/v1/accounts", json={"external_id": "acme", "name": "Acme"})
    api.post(
        "/api/v1/customers/bulk",
        json={
            "items": [
                {"external_id": "u1", "name": "Ada Lovelace", "stage": "usage", "attributes": {"size": 300}},
                {
                    "external_id": "u2",
                    "email": "grace@navy.mil",
                    "account_external_id": "acme",
                    "attributes": {"size": 5},
                },
                {"external_id": "u3", "name": "Alan", "stage": "usage"},
            ]
        },
    )

    def ids(**params: Any) -> list[str]:
        response = api.get("/api/v1/customers", params=params)
        assert response.status_code == 200, response.text
        return [c["external_id"] for c in response.json()["items"]]

    assert ids(q="LOVE") == ["u1"]
    assert ids(q="navy") == ["u2"]
    assert ids(stage="usage") == ["u1", "u3"]
    assert ids(account="acme") == ["u2"]
    assert ids(filter="size > 100 or account = acme") == ["u1", "u2"]
    assert ids(sort="-external_id") == ["u3", "u2", "u1"]
    page = api.get("/api/v1/customers", params={"limit": 1, "offset": 1, "sort": "external_id"}).json()
    assert page["total"] == 3 and [c["external_id"] for c in page["items"]] == ["u2"]
    api.post("/api/v1/segments", json={"key": "big", "name": "Big", "filter": "size >= 300"})
    assert ids(segment="big") == ["u1"]
    bad = api.get("/api/v1/customers", params={"filter": "size >"})
    assert bad.status_code == 422 and _fields(bad)["filter"].startswith("at column 7")
    assert api.get("/api/v1/customers", params={"sort": "password"}).status_code == 422
    assert api.get("/api/v1/customers", params={"segment": "nope"}).status_code == 422
    assert api.get("/api/v1/customers", params={"limit": 0}).status_code == 422


def test_roles(client: TestClient, db: Database) -> None:
    viewer, agent = make_key(db, Role.viewer), make_key(db, Role.agent)
    assert client.get("/api/v1/customers").status_code == 401
    assert client.get("/api/v1/customers", headers=viewer).status_code == 200
    assert client.post("/api/v1/customers", json={"external_id": "x"}, headers=viewer).status_code == 403
    created = client.post("/api/v1/customers", json={"external_id": "x"}, headers=agent)
    assert created.status_code == 201
    assert (
        client.post("/api/v1/customers/bulk", json={"items": [{"external_id": "y"}]}, headers=agent).status_code == 200
    )
    assert client.delete(f"/api/v1/customers/{created.json()['id']}", headers=agent).status_code == 403
    assert client.get("/api/v1/customers/999", headers=viewer).status_code == 404
