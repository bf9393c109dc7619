"""Feedback items: API and service, dedupe on (source, external_id), linking customers, rated items in rollups."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.storage.database import Database
from tests.collection.conftest import count_feedback, rollup_total

URL = "/api/v1/feedback"


def _item(**overrides: object) -> dict[str, object]:
    return {"kind": "review", "source": "trustpilot", "channel": "review", "text": "Great service", **overrides}


def test_one_item_and_reading_it_back(api: TestClient, db: Database) -> None:
    sent = api.post(URL, json=_item(external_id="r1", rating=4, author="Ann", url="https://t.example/r1"))
    assert sent.status_code == 201
    stored = api.get(f"{URL}/{sent.json()['ids'][0]}").json()
    assert (stored["source"], stored["external_id"], stored["rating"], stored["author"]) == (
        "trustpilot",
        "r1",
        4,
        "Ann",
    )
    assert rollup_total(db, "rating") == 1


def test_duplicates_are_counted_and_stored_once(api: TestClient, db: Database) -> None:
    batch = [_item(external_id="r1"), _item(external_id="r1"), _item(external_id="r2"), _item(), _item()]
    first = api.post(URL, json={"items": batch})
    assert first.status_code == 201
    assert (first.json()["created"], first.json()["duplicates"]) == (4, 1)
    assert first.json()["ids"][0] == first.json()["ids"][1]
    again = api.post(URL, json={"items": batch[:3]})
    assert again.status_code == 200 and again.json()["duplicates"] == 3
    other_source = api.post(URL, json=_item(external_id="r1", source="g2"))
    assert other_source.status_code == 201
    assert count_feedback(db) == 5


def test_customer_links_by_external_id_else_email(api: TestClient, db: Database) -> None:
    with db.unit_of_work() as session:
        known = customers.upsert_customers(
            session, items=[CustomerUpsert(external_id="c1", email="ann@example.com", stage="renewal")]
        )[0]
    items = [
        _item(author_email="ANN@example.com "),
        _item(customer_external_id="c1", touchpoint="delivery"),
        _item(customer_external_id="brand-new"),
        _item(author_email="stranger@example.com"),
    ]
    ids = api.post(URL, json={"items": items}).json()["ids"]
    by_email, by_id, new, stranger = (api.get(f"{URL}/{i}").json() for i in ids)
    assert by_email["customer_id"] == known and by_email["author_email"] == "ann@example.com"
    assert by_email["stage_id"] is not None  # the customer's stage
    assert (
        by_id["customer_id"] == known
        and by_id["touchpoint"] == "delivery"
        and by_id["stage_id"] != by_email["stage_id"]
    )
    assert new["customer_external_id"] == "brand-new"
    assert stranger["customer_id"] is None


def test_bad_items_reject_the_batch(api: TestClient, db: Database) -> None:
    items = [
        _item(),
        _item(rating=6, kind="tweet"),
        _item(text="   ", author_email="not-an-email", touchpoint="nowhere"),
        _item(posted_at="2999-01-01T00:00:00Z"),
    ]
    sent = api.post(URL, json={"items": items})
    assert sent.status_code == 422
    fields = {e["field"] for e in sent.json()["errors"]}
    assert fields == {
        "items.1.rating",
        "items.1.kind",
        "items.2.text",
        "items.2.author_email",
        "items.2.touchpoint",
        "items.3.posted_at",
    }
    assert count_feedback(db) == 0 and rollup_total(db, "rating") == 0


def test_list_filters(api: TestClient) -> None:
    items = [
        _item(source="g2", rating=2, posted_at="2024-01-01T00:00:00Z"),
        _item(kind="social_post", channel="social", source="x", posted_at="2024-02-01T00:00:00Z"),
        _item(source="g2", rating=5, posted_at="2024-03-01T00:00:00Z"),
    ]
    assert api.post(URL, json={"items": items}).status_code == 201
    assert [f["rating"] for f in api.get(URL, params={"source": "g2"}).json()["items"]] == [5, 2]
    assert api.get(URL, params={"kind": "social_post"}).json()["total"] == 1
    assert [f["rating"] for f in api.get(URL, params={"sort": "rating", "source": "g2"}).json()["items"]] == [2, 5]
    assert api.get(URL, params={"since": "2024-02-01T00:00:00Z"}).json()["total"] == 2
    assert api.get(f"{URL}/12345").status_code == 404
