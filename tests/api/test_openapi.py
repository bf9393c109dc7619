"""The OpenAPI document describes what the server does: every integer input is bounded, every error response has the
body the app sends, and the bounds hold at the edges (2^63 in a path, a query and a body is a 422 naming the field,
never a 500). tests/api/test_fuzz.py checks the rest by fuzzing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxloop.app import create_app
from cxloop.core.config import Settings

TOO_BIG = 2**63


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(environment="test", database_url="sqlite://")).openapi()


def _schemas(node: Any, components: dict[str, Any], seen: frozenset[str] = frozenset()) -> Any:
    """Every schema object under `node`, following $refs once."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                yield from _schemas(components[name], components, seen | {name})
            return
        yield node
        for value in node.values():
            yield from _schemas(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value, components, seen)


def _operations(document: dict[str, Any]) -> Any:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_integer_a_request_may_carry_is_bounded(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    unbounded = []
    for name, operation in _operations(document):
        inputs = [p["schema"] for p in operation.get("parameters", [])]
        inputs += [c["schema"] for c in operation.get("requestBody", {}).get("content", {}).values()]
        for schema in _schemas(inputs, components):
            bounded = "enum" in schema or ("minimum" in schema and "maximum" in schema)
            if schema.get("type") == "integer" and not bounded:
                unbounded.append(f"{name}: {schema.get('title', schema)}")
    assert unbounded == [], "use the types of cxloop.core.int_bounds:\n" + "\n".join(unbounded)


def test_every_error_response_documents_the_app_s_error_body(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert set(document["components"]["schemas"]["ErrorBody"]["required"]) == {"detail", "errors"}
    wrong = []
    for name, operation in _operations(document):
        for status, response in operation["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if status.startswith("4") and not schema.get("$ref", "").endswith(("/ErrorBody", "/SegmentRefusal")):
                wrong.append(f"{name} {status}")
    assert wrong == []


def test_keyed_routes_document_401_and_403_and_path_ids_404(document: dict[str, Any]) -> None:
    customer = document["paths"]["/api/v1/customers/{customer_id}"]
    assert {"401", "403", "404", "422"} <= set(customer["get"]["responses"])
    assert {"401", "403", "404", "409", "422"} <= set(customer["patch"]["responses"])
    health = document["paths"]["/api/v1/health"]["get"]["responses"]
    assert not {"401", "403", "404"} & set(health)
    limit = next(p for p in document["paths"]["/api/v1/customers"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("GET", f"/api/v1/customers/{TOO_BIG}", None, "path.customer_id"),
        ("DELETE", f"/api/v1/widget-sites/{TOO_BIG * 10}", None, "path.site_id"),
        ("GET", f"/api/v1/responses?offset={TOO_BIG}", None, "query.offset"),
        ("GET", f"/api/v1/customers?limit={TOO_BIG}", None, "query.limit"),
        ("GET", f"/api/v1/invitations?survey_id={TOO_BIG}", None, "query.survey_id"),
        ("POST", "/api/v1/outbox/replay", {"event_ids": [TOO_BIG]}, "event_ids.0"),
        ("POST", "/api/v1/journeys/1/stages", {"key": "s", "name": "S", "position": TOO_BIG}, "position"),
        ("POST", "/api/v1/journeys/1/stages", {"key": "s", "name": "S", "position": True}, "position"),
    ],
)
def test_integers_out_of_range_are_a_422_naming_the_field(
    api: TestClient, method: str, url: str, body: Any, field: str
) -> None:
    answer = api.request(method, url, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == "the request has invalid fields"
    assert field in [e["field"] for e in answer.json()["errors"]]


def test_a_body_that_is_not_json_is_a_422_on_the_body(api: TestClient) -> None:
    for raw in (b'{"name": ', b"\xff\xfe{}"):
        answer = api.post("/api/v1/journeys", content=raw, headers={"content-type": "application/json"})
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == ["body"]
        assert answer.json()["errors"][0]["message"].startswith("not valid JSON")


def test_a_method_not_allowed_names_every_allowed_method(api: TestClient) -> None:
    answer = api.request("OPTIONS", "/api/v1/customers/1")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, GET, PATCH"
    assert answer.json() == {"detail": "Method Not Allowed", "errors": []}
    # Id segments match digits only, so a literal sibling is not read as an id of another method's route
    refresh = api.patch("/api/v1/segments/refresh")
    assert (refresh.status_code, refresh.headers["allow"]) == (405, "POST")


def test_an_id_that_is_not_a_positive_number_is_not_found(api: TestClient) -> None:
    for url in ("/api/v1/widget-sites/-1", "/api/v1/customers/abc"):
        answer = api.get(url)
        assert answer.status_code == 404, url
        assert answer.json() == {"detail": "Not Found", "errors": []}
