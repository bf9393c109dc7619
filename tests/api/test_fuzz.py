"""Schemathesis over the whole OpenAPI, as admin on SQLite and PostgreSQL and as viewer on SQLite: no answer may be a
5xx, and every answer must be what the document says (status, content type, headers, body schema), for valid and for
invalid requests. New routes are fuzzed as soon as they are in the document. Bounded to a few examples per
operation here; `make fuzz` runs the long, stateful run (docs/development/testing.md)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.app import create_app
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from tests.api.fuzzing import fuzz
from tests.conftest import make_key

EXAMPLES = 3  # per operation and generation mode: ~600 requests per backend and role


# A viewer reads what the admin reads (fuzzed on both backends) and is refused every write before any database work,
# so its run is fuzzed on SQLite only.
@pytest.mark.parametrize(
    ("role", "db_url"),
    [(Role.admin, "sqlite"), (Role.admin, "postgresql"), (Role.viewer, "sqlite")],
    ids=["admin-sqlite", "admin-postgresql", "viewer-sqlite"],
    indirect=["db_url"],
)
def test_every_answer_is_documented_and_none_is_a_server_error(role: Role, settings: Settings, db: Database) -> None:
    headers = make_key(db, role)
    app = create_app(settings, database=db)
    with TestClient(app):  # runs the lifespan: the writer thread stops at the end
        failures = fuzz(app, headers, examples=EXAMPLES)
    assert failures == {}, "\n".join(f"{op}: {line}" for op, lines in failures.items() for line in lines)
