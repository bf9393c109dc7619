"""Helpers of the web app's tests: users with passwords, signing in through the real form, and the demo data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.app import create_app
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.jobs import dispatch
from cxloop.precomputed import service as precomputed
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


@pytest.fixture
def queued(db: Database) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The jobs the pages queue, recorded instead of going to a Huey queue (after `db`, which installs the real)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    previous = dispatch.installed()
    dispatch.install(lambda name, payload: calls.append((name, payload)))
    yield calls
    dispatch.install(previous)


@pytest.fixture
def large(db_url: str, tmp_path: Path, db: Database) -> Iterator[TestClient]:
    """The app as for a large organisation (every size is above 0) with a worker sweeping: pages read stored
    analyses (web/stored_analysis.py) and never compute them."""
    settings = Settings(environment="test", database_url=db_url, data_dir=tmp_path / "data", precompute_above=0)
    with db.unit_of_work(write=True) as session:
        precomputed.record_sweep(session, now=utcnow(), refreshed=0, seconds=0.0)
    with TestClient(create_app(settings, database=db)) as test_client:
        yield test_client


def run_queued(db: Database, queued: list[tuple[str, dict[str, Any]]]) -> None:
    """What the worker does with the queued jobs."""
    for name, payload in queued:
        assert name == precomputed.REFRESH_JOB
        assert precomputed.refresh(db, result_id=payload["result_id"], now=utcnow())
    queued.clear()
