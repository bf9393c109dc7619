"""Every route, every role (STYLE.md guideline 18): the role a route requires is read from its dependencies
(`access.deps.required_role`), and each caller gets the status that role implies: 401 without a key, 403 below the
role, neither at or above it. A route with no role dependency fails here unless it is listed in PUBLIC.

Authorisation is decided before any query, so the matrix runs on SQLite only, with one app and one key per role for
the whole module. Path parameters are ids that do not exist, so callers that get through change nothing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient

from cxloop.access.deps import route_role
from cxloop.access.enums import Role
from cxloop.app import create_app
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from tests.conftest import make_key

# Routes that need no API key: FastAPI's docs, health, and the public endpoints of api/public.py, which
# authenticate by token, signature or site key (their own tests cover the refusals).
PUBLIC = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/api/v1/health"),
    ("POST", "/webhooks/helpdesk/zendesk"),
    ("POST", "/webhooks/helpdesk/intercom"),
    ("POST", "/webhooks/helpdesk/generic"),
    ("POST", "/webhooks/email/events"),
    ("POST", "/webhooks/email/ses"),
    ("POST", "/webhooks/email/postmark"),
    ("POST", "/webhooks/email/sendgrid"),
    ("POST", "/webhooks/email/mailgun"),
    ("POST", "/webhooks/email/mailgun/inbound"),
    ("POST", "/webhooks/sms/twilio"),
    ("POST", "/webhooks/sms/twilio/status"),
    ("GET", "/s/k/{survey_key}"),
    ("POST", "/s/k/{survey_key}"),
    ("GET", "/s/k/{survey_key}/q/{question_id}"),
    ("GET", "/s/k/{survey_key}/thanks"),
    ("GET", "/s/{token}"),
    ("POST", "/s/{token}"),
    ("GET", "/s/{token}/q/{question_id}"),
    ("GET", "/kiosk/{survey_key}"),
    ("POST", "/kiosk/{survey_key}"),
    ("GET", "/kiosk/{survey_key}/comment"),
    ("POST", "/kiosk/{survey_key}/comment"),
    ("GET", "/kiosk/{survey_key}/thanks"),
    ("GET", "/u/{token}"),
    ("POST", "/u/{token}"),
    ("GET", "/widget.js"),
    ("OPTIONS", "/widget/v1/{path:path}"),
    ("GET", "/widget/v1/config"),
    ("POST", "/widget/v1/decide"),
    ("POST", "/widget/v1/responses"),
    ("POST", "/widget/v1/feedback"),
    ("POST", "/widget/v1/identify"),
    ("GET", "/brand/logo"),
}
# Routes that check the API key inside the handler, with the role they require: Segment's tracking API takes the key
# as the HTTP Basic user (and reads the body first, so they get an empty JSON object).
# Routes whose answer never ends on its own, with the query that ends it: the live stream (docs/stream.md).
BOUNDED = {("GET", "/api/v1/stream"): {"max_seconds": 1}}

KEY_IN_HANDLER = {
    ("POST", f"/v1/{call}"): Role.agent for call in ("alias", "batch", "group", "identify", "page", "screen", "track")
}
ANONYMOUS = "anonymous"


def _flat_routes(app: FastAPI) -> list[Any]:
    """The app's routes with included routers flattened (FastAPI >= 0.16x keeps included routers lazy)."""
    contexts = getattr(routing, "iter_route_contexts", None)
    return list(contexts(app.routes)) if contexts else list(app.routes)


def _is_web_page(route: Any) -> bool:
    """The web app's pages sign in with a session cookie, not an API key: tests/web/test_pages.py checks their roles
    the same way (every page declares one, each role reaches exactly its pages)."""
    endpoint = getattr(route, "endpoint", None)
    return endpoint is not None and endpoint.__module__.startswith("cxloop.web.")


def route_roles() -> dict[tuple[str, str], Role | None]:
    """(method, path) -> the role it requires, for every route of the app (but the web app's pages)."""
    app = create_app(Settings(environment="test", database_url="sqlite://"))
    roles: dict[tuple[str, str], Role | None] = {}
    for route in _flat_routes(app):
        if _is_web_page(route):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            roles[(method, route.path)] = route_role(getattr(route, "dependant", None))
    for route, role in KEY_IN_HANDLER.items():
        if roles.get(route, role) is None:
            roles[route] = role
    return roles


ROUTES = route_roles()
PROTECTED = sorted((route, role) for route, role in ROUTES.items() if role is not None)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


def expected(caller: str, role: Role) -> str:
    if caller == ANONYMOUS:
        return "401"
    return "not 401/403" if Role(caller).includes(role) else "403"


@pytest.fixture(scope="module")
def callers(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    folder = tmp_path_factory.mktemp("auth-matrix")
    shutil.copy(sqlite_template, folder / "cxloop.db")
    settings = Settings(environment="test", database_url=f"sqlite:///{folder / 'cxloop.db'}", data_dir=folder / "data")
    database = Database(settings.database_url)
    headers = {ANONYMOUS: {}, **{role.value: make_key(database, role) for role in Role}}
    with TestClient(create_app(settings, database=database)) as client:
        yield client, headers
    database.dispose()


def test_every_route_requires_a_role_or_is_listed_public() -> None:
    unprotected = {route for route, role in ROUTES.items() if role is None}
    assert unprotected - PUBLIC == set(), "routes with no role dependency: add one, or list them in PUBLIC"
    assert PUBLIC - unprotected == set(), "PUBLIC lists routes that are gone or now need a role"
    assert set(KEY_IN_HANDLER) <= set(ROUTES), "KEY_IN_HANDLER lists routes that are gone"


def test_some_route_requires_each_role() -> None:
    assert {role for _, role in PROTECTED} == set(Role)


@pytest.mark.parametrize("caller", [ANONYMOUS, *(role.value for role in Role)])
@pytest.mark.parametrize(("route", "role"), PROTECTED, ids=[f"{m} {p} ({r.value})" for (m, p), r in PROTECTED])
def test_route_answers_each_role(
    callers: tuple[TestClient, dict], route: tuple[str, str], role: Role, caller: str
) -> None:
    client, headers = callers
    method, path = route
    body = {} if route in KEY_IN_HANDLER else None
    params = BOUNDED.get(route)
    response = client.request(method, _concrete(path), headers=headers[caller], json=body, params=params)
    want = expected(caller, role)
    if want == "not 401/403":
        assert response.status_code not in {401, 403}, f"{caller} got {response.status_code}: {response.text}"
    else:
        assert response.status_code == int(want), f"{caller} got {response.status_code}, wanted {want}"
        assert response.json()["detail"]
