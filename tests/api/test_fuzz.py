"""Schemathesis over the whole OpenAPI, as admin and as viewer, on SQLite and PostgreSQL: no answer may be a 5xx,
and every answer must be what the document says (status, content type, headers, body schema), for valid and for
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

EXAMPLES = 3  # per operation and generation mode: ~600 requests per backend and role, ~50 s for the four runs


@pytest.mark.parametrize("role", [Role.admin, Role.viewer], ids=["admin", "viewer"])
def test_every_answer_is_documented_and_none_is_a_server_error(role: Role, settings: Settings, db: Database) -> None:
    headers = make_key(db, role)
    app = create_app(settings, database=db)
    with TestClient(app):  # runs the lifespan: the writer thread stops at the end
        failures = fuzz(app, headers, examples=EXAMPLES)
    assert failures == {}, "\n".join(f"{op}: {line}" for op, lines in failures.items() for line in lines)
