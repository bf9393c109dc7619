"""POST /api/v1/reviews: batches stored once per (source, external_id), authors linked by handle or email."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.collection.models import FeedbackItem
from cxloop.customers.models import Customer
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.factories.customers import make_customer

URL = "/api/v1/reviews"


def _review(external_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "source": "trustpilot",
        "external_id": external_id,
        "text": "Fast delivery, friendly support.",
        "rating": 5,
        "posted_at": "2026-11-02T08:00:00Z",
        **fields,
    }


def _stored(db: Database) -> list[tuple[FeedbackItem, str | None]]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(FeedbackItem, Customer.external_id)
            .outerjoin(Customer, Customer.id == FeedbackItem.customer_id)
            .order_by(FeedbackItem.id)
        ).all()
        session.expunge_all()
        return [(item, customer) for item, customer in rows]


def test_a_batch_with_a_duplicate_stores_it_once(db: Database, api: TestClient) -> None:
    batch = {"items": [_review("tp-1"), _review("tp-2", rating=2), _review("tp-1", text="the same review again")]}

    first = api.post(URL, json=batch)
    again = api.post(URL, json=batch)

    assert first.status_code == 201, first.text
    assert (first.json()["created"], first.json()["duplicates"]) == (2, 1)
    assert first.json()["ids"][0] == first.json()["ids"][2]
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["duplicates"]) == (0, 3)
    stored = _stored(db)
    assert [(i.kind, i.channel, i.source, i.external_id, i.rating) for i, _ in stored] == [
        ("review", "review", "trustpilot", "tp-1", 5),
        ("review", "review", "trustpilot", "tp-2", 2),
    ]
    assert stored[0][0].text == "Fast delivery, friendly support."


def test_authors_are_linked_by_their_handle_on_the_source_or_their_email(db: Database, api: TestClient) -> None:
    with db.unit_of_work() as session:
        make_customer(session, external_id="ann", attributes={"handle_twitter": "@Ann_S"})
        make_customer(session, external_id="bob", email="bob@example.com", attributes={"handle_g2": "bobby"})
        make_customer(session, external_id="app-cara", attributes={"handle_app_store": "cara99"})
    items = [
        _review("tw-1", source="twitter", kind="social_post", author="ann_s", rating=None),  # case and '@' ignored
        _review("tw-2", source="twitter", kind="social_post", author="@bobby", rating=None),  # bobby is on g2 only
        _review("g2-1", source="g2", author="Someone", author_email="Bob@Example.com"),
        _review("as-1", source="app-store", author="cara99"),
        _review("tp-9", author="ann_s", customer_external_id="crm-new"),  # an explicit id wins
    ]

    response = api.post(URL, json={"items": items})

    assert response.status_code == 201, response.text
    linked = {item.external_id: customer for item, customer in _stored(db)}
    assert linked == {"tw-1": "ann", "tw-2": None, "g2-1": "bob", "as-1": "app-cara", "tp-9": "crm-new"}
    social = next(item for item, _ in _stored(db) if item.external_id == "tw-1")
    assert (social.kind, social.channel, social.author) == ("social_post", "social", "ann_s")
    with db.unit_of_work() as session:  # handles and emails never create customers; an explicit id does
        assert session.scalar(select(Customer.id).where(Customer.external_id == "crm-new")) is not None
        assert len(session.scalars(select(Customer.id)).all()) == 4


def test_a_ten_point_rating_is_stored_on_the_five_point_scale(db: Database, api: TestClient) -> None:
    items = [_review(f"g-{r}", source="google", rating=r, rating_scale=10) for r in (1, 2, 7, 10)]
    single = api.post(URL, json=_review("g-title", source="google", title="Great", rating=4))

    assert api.post(URL, json={"items": items}).status_code == 201
    assert single.status_code == 201 and single.json()["created"] == 1
    stored = {item.external_id: item for item, _ in _stored(db)}
    assert [stored[f"g-{r}"].rating for r in (1, 2, 7, 10)] == [1, 1, 4, 5]
    assert stored["g-7"].meta == {"rating_original": 7, "rating_scale": 10}
    assert stored["g-title"].meta == {"title": "Great"}


def test_invalid_items_are_named_and_nothing_is_stored(db: Database, api: TestClient) -> None:
    items = [
        _review("ok"),
        _review("bad-rating", rating=6),
        {"source": "Trust Pilot!", "text": "", "url": "ftp://x", "extra": 1},
    ]

    response = api.post(URL, json={"items": items})

    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == [
        "items.1.rating",
        "items.2.source",
        "items.2.external_id",
        "items.2.text",
        "items.2.url",
        "items.2.extra",
    ]
    assert "from 1 to 5" in response.json()["errors"][0]["message"]
    assert _stored(db) == []


def test_a_single_bad_item_names_its_own_fields(api: TestClient) -> None:
    response = api.post(URL, json=_review("x", rating=11, rating_scale=10))

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "rating", "message": "must be a whole number from 1 to 10"}]


def test_a_viewer_key_may_not_send_reviews(db: Database, client: TestClient) -> None:
    response = client.post(URL, json=_review("x"), headers=make_key(db, Role.viewer))

    assert response.status_code == 403
    assert _stored(db) == []


def test_an_oversized_body_is_refused_even_without_a_content_length(
    db: Database, api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxloop.channels.reviews import routes

    monkeypatch.setattr(routes, "MAX_BODY_BYTES", 100)
    body = b'{"items": [' + b", ".join([b'{"source": "g2", "external_id": "x", "text": "fine"}'] * 10) + b"]}"
    declared = api.post(URL, content=body, headers={"Content-Type": "application/json"})
    chunked = api.post(URL, content=iter([body[:60], body[60:]]), headers={"Content-Type": "application/json"})
    assert declared.status_code == chunked.status_code == 413
    assert "larger" in chunked.json()["detail"]
    assert api.get("/api/v1/feedback").json()["total"] == 0
