"""Helpers of the web app's tests: users with passwords, signing in through the real form, and the demo data."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.storage.database import Database

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(db: Database, role: Role, *, email: str | None = None, password: str = PASSWORD) -> str:
    """A user with a password; their email."""
    email = email or f"{role.value}@example.com"
    with db.unit_of_work() as session:
        access.create_user(session, email=email, role=role, name=f"Test {role.value}", password=password)
    return email


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, *, next_url: str = "/") -> Any:
    """Sign in through the form as a browser does (GET the form, POST it back); the POST's response."""
    form = client.get("/login")
    assert form.status_code == 200
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(form.text), "next": next_url},
        follow_redirects=False,
    )


def signed_in_client(client: TestClient, db: Database, role: Role) -> TestClient:
    response = sign_in(client, make_user(db, role))
    assert response.status_code == 303, response.text
    return client
