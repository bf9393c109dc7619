"""/api/v1/events: plain events, batches and Segment-spec payloads; dedupe; listing. /api/v1/outcomes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.core.clock import utcnow
from cxloop.storage.database import Database
from tests.conftest import make_key


def _fields(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def _events(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v1/events", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_one_event_creates_a_bare_customer(api: TestClient) -> None:
    response = api.post("/api/v1/events", json={"customer_external_id": "u-1", "name": "signed_up"})
    assert response.status_code == 200
    assert response.json()["created"] == 1
    (event,) = _events(api)
    assert event["customer_external_id"] == "u-1" and event["source"] == "api"
    assert api.get("/api/v1/customers", params={"q": "u-1"}).json()["total"] == 1


def test_batches_dedupe_on_source_and_external_id(api: TestClient) -> None:
    items = [
        {"customer_external_id": "u", "name": "ticket_solved", "external_id": "t-1", "source": "zendesk"},
        {"customer_external_id": "u", "name": "ticket_solved", "external_id": "t-1", "source": "zendesk"},
        {"customer_external_id": "u", "name": "ticket_solved", "external_id": "t-1", "source": "other"},
        {"customer_external_id": "u", "name": "ticket_solved"},
    ]
    first = api.post("/api/v1/events", json={"items": items}).json()
    assert (first["created"], first["duplicates"]) == (3, 1)
    second = api.post("/api/v1/events", json={"items": items[:3]}).json()
    assert (second["created"], second["duplicates"]) == (0, 3)
    assert len(_events(api)) == 3


def test_bad_events_are_named_and_nothing_is_stored(api: TestClient) -> None:
    future = (utcnow() + timedelta(days=1)).isoformat()
    response = api.post(
        "/api/v1/events",
        json={
            "items": [
                {"name": "ok", "customer_external_id": "u"},
                {"customer_external_id": "u"},
                {"name": "x", "occurred_at": future},
                {"name": "y", "properties": [1]},
            ]
        },
    )
    assert response.status_code == 422
    assert {"items.1.name", "items.2.occurred_at", "items.3.properties"} <= set(_fields(response))
    assert _events(api) == []
    assert api.post("/api/v1/events", json={"name": ""}).status_code == 422
    assert api.post("/api/v1/events", json=[1, 2]).status_code == 422
    assert "items" in _fields(api.post("/api/v1/events", json={"items": []}))


def test_segment_track_is_stored_once_per_message_id(api: TestClient) -> None:
    call = {
        "type": "track",
        "userId": "u-9",
        "event": "Order Completed",
        "messageId": "m-1",
        "timestamp": "2024-05-01T10:00:00.000Z",
        "properties": {"total": 42.5},
    }
    first = api.post("/api/v1/events", json=call).json()
    assert (first["created"], first["duplicates"]) == (1, 0)
    assert api.post("/api/v1/events", json=call).json()["duplicates"] == 1
    (event,) = _events(api)
    assert event["name"] == "Order Completed" and event["source"] == "segment" and event["external_id"] == "m-1"
    assert event["occurred_at"].startswith("2024-05-01T10:00:00") and event["properties"] == {"total": 42.5}


def test_segment_identify_upserts_the_customer(api: TestClient) -> None:
    call = {
        "type": "identify",
        "userId": 42,
        "anonymousId": "anon-1",
        "traits": {
            "email": "Ada@Example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "createdAt": "2023-02-03T04:05:06Z",
            "plan": "pro",
            "address": {"city": "London"},
            "Plan Type": "annual",
            "logins": [1, 2],
            "friends": [{"x": 1}],
        },
        "context": {"locale": "en-GB", "timezone": "Europe/London"},
    }
    result = api.post("/api/v1/events", json=call).json()
    assert result["customers_upserted"] == 1 and result["created"] == 0
    (customer,) = api.get("/api/v1/customers", params={"q": "42"}).json()["items"]
    assert customer["external_id"] == "42" and customer["email"] == "ada@example.com"
    assert customer["name"] == "Ada Lovelace" and customer["signup_date"] == "2023-02-03"
    assert customer["locale"] == "en-GB" and customer["timezone"] == "Europe/London"
    assert customer["attributes"] == {"plan": "pro", "address_city": "London", "Plan_Type": "annual", "logins": [1, 2]}
    bad = api.post("/api/v1/events", json={**call, "traits": {"email": "nope"}})
    assert bad.status_code == 422 and "traits.email" in _fields(bad)


def test_segment_batch_orders_identify_before_track_and_links_anonymous_events(api: TestClient) -> None:
    earlier = api.post(
        "/api/v1/events", json={"type": "track", "anonymousId": "anon-7", "event": "Viewed Pricing", "messageId": "m-0"}
    ).json()
    assert earlier["created"] == 1
    batch = {
        "batch": [
            {"type": "track", "userId": "u-7", "event": "Signed Up", "messageId": "m-2"},
            {"type": "identify", "userId": "u-7", "anonymousId": "anon-7", "traits": {"plan": "free"}},
            {
                "type": "group",
                "userId": "u-7",
                "groupId": "acme",
                "traits": {"name": "Acme", "plan": "enterprise", "employees": 120},
            },
            {"type": "page", "userId": "u-7", "name": "Home", "messageId": "m-3"},
            {"type": "alias", "userId": "u-7", "previousId": "anon-7"},
            {"type": "track", "anonymousId": "anon-7", "event": "Clicked", "messageId": "m-4"},
        ]
    }
    result = api.post("/api/v1/events", json=batch).json()
    assert result == {"created": 3, "duplicates": 0, "customers_upserted": 1, "accounts_upserted": 1, "ignored": 1}
    names = {e["name"]: e["customer_external_id"] for e in _events(api, limit=10)}
    assert names == {"Viewed Pricing": "u-7", "Signed Up": "u-7", "page_viewed": "u-7", "Clicked": "u-7"}
    (customer,) = api.get("/api/v1/customers", params={"account": "acme"}).json()["items"]
    assert customer["external_id"] == "u-7" and customer["attributes"] == {"plan": "free"}
    (account,) = api.get("/api/v1/accounts").json()["items"]
    assert (account["name"], account["plan"], account["attributes"]) == ("Acme", "enterprise", {"employees": 120})


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ({"type": "track", "userId": "u"}, "batch.1.event"),
        ({"type": "track", "event": "x"}, "batch.1.userId"),
        ({"type": "shout", "userId": "u"}, "batch.1.type"),
        ({"type": "group", "userId": "u"}, "batch.1.groupId"),
        ({"type": "track", "userId": "u", "event": "x", "timestamp": "yesterday"}, "batch.1.timestamp"),
        ({"type": "track", "userId": "u", "event": "x", "properties": "no"}, "batch.1.properties"),
    ],
)
def test_segment_errors_use_segment_field_names(api: TestClient, call: dict[str, Any], field: str) -> None:
    response = api.post("/api/v1/events", json={"batch": [{"type": "identify", "userId": "fine"}, call]})
    assert response.status_code == 422
    assert field in _fields(response), response.json()
    assert api.get("/api/v1/customers").json()["total"] == 0


def test_list_events_filters(api: TestClient) -> None:
    now = utcnow()
    api.post(
        "/api/v1/events",
        json={
            "items": [
                {"customer_external_id": "a", "name": "login", "occurred_at": (now - timedelta(days=3)).isoformat()},
                {
                    "customer_external_id": "a",
                    "name": "ticket_solved",
                    "occurred_at": (now - timedelta(days=1)).isoformat(),
                },
                {"customer_external_id": "b", "name": "login", "occurred_at": now.isoformat()},
            ]
        },
    )
    assert [e["name"] for e in _events(api, customer="a")] == ["ticket_solved", "login"]
    assert [e["customer_external_id"] for e in _events(api, name="login")] == ["b", "a"]
    start = (now - timedelta(days=2)).isoformat()
    assert len(_events(api, start=start)) == 2
    assert len(_events(api, end=start)) == 1
    assert [e["name"] for e in _events(api, sort="occurred_at")][0] == "login"
    assert api.get("/api/v1/events", params={"sort": "secret"}).status_code == 422


def test_events_roles(client: TestClient, db: Database) -> None:
    viewer, agent = make_key(db, Role.viewer), make_key(db, Role.agent)
    assert client.post("/api/v1/events", json={"name": "x"}).status_code == 401
    assert client.post("/api/v1/events", json={"name": "x"}, headers=viewer).status_code == 403
    assert client.post("/api/v1/events", json={"name": "x"}, headers=agent).status_code == 200
    assert client.get("/api/v1/events", headers=viewer).status_code == 200


def test_outcomes_record_and_list(api: TestClient) -> None:
    api.post("/api/v1/accounts", json={"external_id": "acme", "name": "Acme"})
    api.post("/api/v1/customers", json={"external_id": "u-1"})
    created = api.post(
        "/api/v1/outcomes",
        json={
            "items": [
                {"customer_external_id": "u-1", "kind": "churned", "occurred_on": "2024-06-01", "note": "price"},
                {"account_external_id": "acme", "kind": "renewed", "value": 12000.5, "occurred_on": "2024-07-01"},
                {
                    "customer_external_id": "u-1",
                    "kind": "lifetime_value",
                    "value": "830.10",
                    "occurred_on": "2024-07-02",
                },
            ]
        },
    )
    assert created.status_code == 201 and created.json() == {"created": 3, "duplicates": 0}
    listed = api.get("/api/v1/outcomes").json()
    assert [o["kind"] for o in listed["items"]] == ["lifetime_value", "renewed", "churned"]
    assert listed["items"][1]["value"] == 12000.5 and listed["items"][1]["account_external_id"] == "acme"
    assert [o["kind"] for o in api.get("/api/v1/outcomes", params={"customer": "u-1"}).json()["items"]] == [
        "lifetime_value",
        "churned",
    ]
    assert api.get("/api/v1/outcomes", params={"kind": "renewed"}).json()["total"] == 1
    assert api.get("/api/v1/outcomes", params={"start": "2024-07-01", "end": "2024-07-01"}).json()["total"] == 1
    assert api.get("/api/v1/outcomes", params={"kind": "won"}).status_code == 422


def test_bad_outcomes_are_named(api: TestClient) -> None:
    response = api.post(
        "/api/v1/outcomes",
        json={
            "items": [
                {"kind": "churned", "occurred_on": "2024-01-01"},
                {"customer_external_id": "ghost", "kind": "churned", "occurred_on": "2024-01-01"},
            ]
        },
    )
    assert response.status_code == 422 and "items.0" in _fields(response)
    unknown = api.post(
        "/api/v1/outcomes",
        json={
            "items": [
                {"customer_external_id": "ghost", "kind": "revenue", "value": 1, "occurred_on": "2024-01-01"},
                {"account_external_id": "nope", "kind": "churned", "occurred_on": "2024-01-01"},
            ]
        },
    )
    assert set(_fields(unknown)) == {"items.0.customer_external_id", "items.1.account_external_id"}
    no_value = api.post(
        "/api/v1/outcomes",
        json={"items": [{"account_external_id": "a", "kind": "revenue", "occurred_on": "2024-01-01"}]},
    )
    assert "needs a value" in _fields(no_value)["items.0"]
    assert api.get("/api/v1/outcomes").json()["total"] == 0


def test_outcomes_with_the_same_source_and_external_id_are_stored_once(api: TestClient) -> None:
    api.post("/api/v1/customers", json={"external_id": "u-9"})
    churn = {"customer_external_id": "u-9", "kind": "churned", "occurred_on": "2024-06-01", "external_id": "crm-77"}
    first = api.post("/api/v1/outcomes", json={"items": [churn, churn]})
    assert first.json() == {"created": 1, "duplicates": 1}
    again = api.post("/api/v1/outcomes", json={"items": [churn, {**churn, "source": "billing"}]})
    assert again.json() == {"created": 1, "duplicates": 1}  # same id from another source is another outcome
    listed = api.get("/api/v1/outcomes").json()["items"]
    assert sorted((o["source"], o["external_id"]) for o in listed) == [("api", "crm-77"), ("billing", "crm-77")]
