"""The error answers of every operation, declared in the OpenAPI from what its route is rather than listed by hand:
a route with parameters or a body can answer 422, a route with a path parameter 404, a keyed route 401 and 403 (and
404 and 409 when it writes). Every error response gets the body the app really sends (core/error_body.py) instead of
FastAPI's `HTTPValidationError`, which the app never sends. The document is completed when it is built, so routes
added later are covered; a route may declare more (413, 429, ...) with `error_responses` or its own `responses`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, routing

from cxloop.access.deps import route_role
from cxloop.core.error_body import STATUS_DESCRIPTIONS, ErrorBody

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_FASTAPI_DEFAULT = "#/components/schemas/HTTPValidationError"
_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _can_answer(route: Any, operation: dict[str, Any]) -> set[int]:
    dependant = getattr(route, "dependant", None)
    statuses: set[int] = set()
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.add(404)
    if route_role(dependant) is not None:
        statuses |= {401, 403}
        if route.methods & WRITES:  # a body may name a row that is gone, or clash with one that exists
            statuses |= {404, 409}
    return statuses


def _complete(operation: dict[str, Any], route: Any) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    declared = {int(code) for code in responses if code.isdigit() and 400 <= int(code) < 500}
    for status in sorted(_can_answer(route, operation) | declared):
        response = responses.setdefault(str(status), {})
        content = response.get("content", {}).get("application/json", {})
        if not content or content.get("schema", {}).get("$ref") == _FASTAPI_DEFAULT:
            response["content"] = _ERROR_BODY
        if not response.get("description") or response["description"] == "Validation Error":
            response["description"] = STATUS_DESCRIPTIONS.get(status, "Refused")


def _add_error_body(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(body.pop("$defs", {}))
    schemas["ErrorBody"] = body
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def with_error_responses(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """`app.openapi`: FastAPI's document with every operation's error responses completed."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        if document.get("x-error-responses"):
            return document  # FastAPI keeps the built document: complete it once
        routes = {
            (method.lower(), route.path_format): route
            for route in routing.iter_route_contexts(app.routes)
            for method in route.methods or ()
        }
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if (route := routes.get((method, path))) is not None:
                    _complete(operation, route)
        _add_error_body(document)
        document["x-error-responses"] = True
        return document

    return openapi
