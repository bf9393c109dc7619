"""Hostile JSON and text are a 422 naming the field, on both databases, and store nothing (issue 10): JSON nested
hundreds of levels deep (orjson cannot write it back: a 500 before) and NUL characters (PostgreSQL refuses them in
text and jsonb: a 500 before) in JSON bodies, form posts and query parameters."""

from __future__ import annotations

import base64
from functools import partial
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.access.enums import Role
from cxloop.collection.models import Response
from cxloop.core.json_checks import MAX_DEPTH, MAX_KEYS, problems
from cxloop.customers.models import Customer, Event
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.factories.surveys import make_survey


def _nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def _count(db: Database, model: type) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _refused(answer: Any, field_start: str) -> None:
    assert answer.status_code == 422, answer.text
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields and all(f.startswith(field_start) for f in fields), fields


def _deep_json(depth: int, around: str) -> bytes:
    """`around` (JSON text with one `@`) with `@` replaced by an object nested `depth` levels deep, written by hand:
    Python's and orjson's writers stop long before such depths."""
    return around.replace("@", '{"a":' * depth + "1" + "}" * depth).encode()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 255, 600, 900])
def test_deep_json_is_refused_naming_the_field(api: TestClient, db: Database, depth: int) -> None:
    make_survey(db)
    response = '{"survey": "rnps", "nps": 9, "channel": "email", "metadata": @}'
    _post = partial(api.post, headers={"Content-Type": "application/json"})
    _refused(_post("/api/v1/responses", content=_deep_json(depth, response)), "metadata.a.a")
    _refused(_post("/api/v1/responses", content=_deep_json(depth, '{"items": [' + response + "]}")), "items.0.metadata")
    event = '{"customer_external_id": "c1", "name": "clicked", "properties": @}'
    _refused(_post("/api/v1/events", content=_deep_json(depth, event)), "properties")
    assert _count(db, Response) == 0 and _count(db, Event) == 0


def test_json_at_the_depth_limit_is_stored(api: TestClient, db: Database) -> None:
    make_survey(db)
    metadata = _nested(MAX_DEPTH - 1)  # the body's own object is one more level
    answer = api.post("/api/v1/responses", json={"survey": "rnps", "nps": 9, "channel": "email", "metadata": metadata})
    assert answer.status_code == 201, answer.text


def test_a_free_object_with_too_many_keys_is_refused(api: TestClient, db: Database) -> None:
    properties = {f"k{n}": [n] for n in range(MAX_KEYS + 1)}
    answer = api.post("/api/v1/events", json={"customer_external_id": "c1", "name": "x", "properties": properties})
    assert answer.status_code == 422, answer.text
    assert "keys" in answer.text and _count(db, Event) == 0


def test_nul_in_json_bodies_is_refused(api: TestClient, db: Database) -> None:
    make_survey(db)
    _refused(
        api.post(
            "/api/v1/responses", json={"survey": "rnps", "nps": 9, "channel": "email", "customer_external_id": "a\x00b"}
        ),
        "customer_external_id",
    )
    _refused(
        api.post(
            "/api/v1/responses",
            json={"survey": "rnps", "nps": 9, "channel": "email", "metadata": {"k": ["ok", "x\x00"]}},
        ),
        "metadata.k.1",
    )
    _refused(api.post("/api/v1/customers", json={"external_id": "c1", "name": "Ann\x00"}), "name")
    _refused(api.post("/api/v1/customers", json={"external_id": "c1", "attributes": {"plan": "\x00"}}), "attributes")
    _refused(api.post("/api/v1/events", json={"customer_external_id": "c1", "name": "e\x00"}), "name")
    _refused(
        api.post(
            "/api/v1/feedback", json={"kind": "review", "channel": "review", "source": "g2", "text": "good\x00bad"}
        ),
        "text",
    )
    assert _count(db, Response) == 0 and _count(db, Customer) == 0 and _count(db, Event) == 0


def test_nul_in_segment_calls_and_query_parameters_is_refused(client: TestClient, db: Database) -> None:
    key = make_key(db, Role.agent)["Authorization"].removeprefix("Bearer ")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    track = {"userId": "u1", "event": "Clicked", "properties": {"label\x00": "x"}}
    _refused(client.post("/v1/track", json=track, headers=basic), "properties")
    deep = _deep_json(300, '{"userId": "u1", "traits": @}')
    _refused(client.post("/v1/identify", content=deep, headers={**basic, "Content-Type": "application/json"}), "traits")
    viewer = make_key(db, Role.viewer)
    _refused(client.get("/api/v1/responses", params={"customer": "a\x00"}, headers=viewer), "query.customer")
    _refused(client.get("/api/v1/contact-policies/a%00b", headers=viewer), "path.")
    assert _count(db, Customer) == 0 and _count(db, Event) == 0


def test_nul_in_a_survey_form_post_is_refused(client: TestClient, db: Database) -> None:
    make_survey(db, key="linked")
    answer = client.post("/s/k/linked", data={"question": "q1", "answer": "9\x00", "nonce": "n"})
    _refused(answer, "answer")
    assert _count(db, Response) == 0


def test_the_walker_survives_documents_deeper_than_the_stack() -> None:
    found = problems(_nested(100_000))
    assert found == [(".".join(["a"] * 6) + ".…", f"is nested more than {MAX_DEPTH} levels deep")]


@pytest.mark.parametrize(
    "value",
    [
        _nested(MAX_DEPTH),
        _nested(MAX_DEPTH + 1),
        {"items": [_nested(MAX_DEPTH - 1), _nested(MAX_DEPTH)]},
        [[[["deep enough"]]]],
        {"k\x00": 1},
        {"items": [{"text": "fine"}, {"text": "x\x00"}]},
        "a\x00",
        17,
    ],
)
def test_the_route_check_with_the_text_agrees_with_the_full_walk(value: Any) -> None:
    raw = orjson.dumps(value)
    assert problems(value, raw=raw) == problems(value)
