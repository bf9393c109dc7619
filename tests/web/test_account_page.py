"""Your account over HTTP (SQLite and PostgreSQL): every role sees who they are and their teams, changes their own
password (the current one required; their other sessions end) and their weekly digest; refusals are named beside
the field, CSRF is required, and each change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.notifications import digests
from cxloop.storage.database import Database
from tests.factories.cases import make_team
from tests.web.conftest import PASSWORD, csrf_token, sign_in, signed_in_client

NEW = "a much longer new passphrase"


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    return client.post(
        path, data={**data, "csrf_token": csrf_token(client.get("/account").text)}, follow_redirects=False
    )


@pytest.mark.parametrize("role", [Role.viewer, Role.admin])
def test_every_role_reads_their_account_and_changes_their_digest(client: TestClient, db: Database, role: Role) -> None:
    signed_in_client(client, db, role)
    with db.unit_of_work() as session:
        me = access.require_user(session, user_id=access.user_id_by_email(session, email=f"{role}@example.com") or 0)
        make_team(session, key="support", name="Support", timezone="Europe/Paris", members=[me], lead_user_id=me.id)
    page = client.get("/account")
    assert (
        page.status_code == 200 and f"{role}@example.com" in page.text and "Support (Europe/Paris, lead)" in page.text
    )
    assert 'href="/account" aria-current="page"' in page.text
    assert "You get it (team leads do, unless they opt out)." in page.text
    off = _post(client, "/account/digest", {"weekly_digest": "no"})
    assert off.status_code == 303 and off.headers["location"] == "/account?done=digest-off"
    assert "You will no longer get the weekly digest." in client.get("/account?done=digest-off").text
    with db.unit_of_work() as session:
        assert digests.preference(session, user_id=me.id).weekly_digest is False
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.digest_changed")).one()
    assert entry.actor_kind == "user" and entry.target_id == str(me.id)
    bad = _post(client, "/account/digest", {"weekly_digest": "maybe"})
    assert bad.status_code == 422 and 'id="weekly-digest-error">choose whether' in bad.text


def test_a_user_changes_their_password_and_their_other_sessions_end(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.agent)
    elsewhere = TestClient(client.app)
    sign_in(elsewhere, "agent@example.com")
    for fields, error_id, words in [
        (
            {"current_password": "wrong", "new_password": NEW, "confirm_password": NEW},
            "current-password",
            "is not your current password",
        ),
        (
            {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
            "new-password",
            "must be at least 12 characters",
        ),
        (
            {"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW + "!"},
            "confirm-password",
            "does not match",
        ),
    ]:
        refused = _post(client, "/account/password", fields)
        assert refused.status_code == 422 and f'id="{error_id}-error">{words}' in refused.text, fields
    assert elsewhere.get("/account").status_code == 200, "nothing changed yet"
    changed = _post(
        client, "/account/password", {"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW}
    )
    assert changed.headers["location"] == "/account?done=password"
    assert client.get("/account").status_code == 200, "this session goes on"
    assert elsewhere.get("/account", follow_redirects=False).status_code == 303, "the other one ended"
    assert sign_in(TestClient(client.app), "agent@example.com").status_code == 401
    assert sign_in(TestClient(client.app), "agent@example.com", NEW).status_code == 303
    with db.unit_of_work() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.updated")).one()
    assert entry.changes == {"password": "[redacted]"} and entry.actor_kind == "user"
    forged = client.post(
        "/account/password",
        data={"current_password": NEW, "new_password": PASSWORD, "confirm_password": PASSWORD, "csrf_token": "x"},
    )
    assert forged.status_code == 403
    assert client.get("/account", follow_redirects=False).status_code == 200
