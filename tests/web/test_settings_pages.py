"""Settings over HTTP (the real app, SQLite and PostgreSQL): users (create with a typed or generated password,
change role, deactivate and reactivate, never yourself nor the last admin), API keys (create shown once, revoke)
and the channels' state (secrets never shown). Every form: CSRF, errors beside the field, the audit entry; a
refusal changes nothing. Teams and the contact policy: test_settings_teams.py, test_settings_policy.py."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.core.config import Settings
from cxloop.governance.channels import registry
from cxloop.storage.database import Database
from cxloop.web.settings_channels import CHANNEL_STATES, channel_states
from tests.web.conftest import PASSWORD, csrf_token, make_user, sign_in, signed_in_client


def post(client: TestClient, path: str, data: dict[str, Any], *, page: str = "/settings/users") -> Any:
    """POST a settings form as the browser does: with the CSRF token of the page it is on."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client.get(page).text)}, follow_redirects=False)


def _entries(db: Database, action: str) -> list[AuditEntry]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def _user(db: Database, email: str) -> Any:
    with db.unit_of_work() as session:
        user_id = access.user_id_by_email(session, email=email)
        assert user_id is not None
        return access.require_user(session, user_id=user_id)


def test_settings_opens_on_its_users_tab_with_every_tab_linked(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    assert client.get("/settings", follow_redirects=False).headers["location"] == "/settings/users"
    page = client.get("/settings/users").text
    for tab in ("/settings/users", "/settings/teams", "/settings/api-keys", "/settings/channels"):
        assert f'href="{tab}"' in page
    assert 'href="/settings/users" aria-current="page"' in page and "admin@example.com" in page


def test_an_admin_adds_a_person_with_a_generated_password_shown_once(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    made = post(client, "/settings/users", {"email": "Kim@Example.com", "name": "Kim", "role": "agent"})
    assert made.status_code == 200 and "kim@example.com can sign in now" in made.text
    password = made.text.split('id="new-password">')[1].split("<")[0]
    assert len(password) >= 12 and password not in client.get("/settings/users").text
    kim = _user(db, "kim@example.com")
    assert (kim.role, kim.name, kim.is_active) == ("agent", "Kim", True)
    [entry] = _entries(db, "user.created")
    assert entry.actor_kind == "user" and entry.actor_name == "admin@example.com"
    assert entry.changes["email"] == "kim@example.com" and password not in str(entry.changes)
    other = TestClient(client.app)
    assert sign_in(other, "kim@example.com", password).status_code == 303


def test_a_typed_password_works_and_bad_fields_are_named_beside_them(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    made = post(client, "/settings/users", {"email": "lee@example.com", "role": "viewer", "password": PASSWORD})
    assert made.status_code == 200 and "with the password you typed" in made.text
    assert sign_in(TestClient(client.app), "lee@example.com").status_code == 303
    bad = post(client, "/settings/users", {"email": "not-an-email", "role": "owner", "password": "short"})
    assert bad.status_code == 422
    assert '<p class="field-error" id="new-email-error">is not an email address</p>' in bad.text
    assert 'id="new-email" name="email" type="email" value="not-an-email"' in bad.text, "what was typed stays"
    assert 'id="new-role-error"' in bad.text and "at least 12 characters" in bad.text
    assert "short" not in bad.text.split('id="new-password-field"')[1].split(">")[0], "a password is never echoed"
    taken = post(client, "/settings/users", {"email": "LEE@example.com", "role": "viewer"})
    assert taken.status_code == 409 and "exists already" in taken.text
    with db.unit_of_work() as session:
        assert [u.email for u in access.list_users(session)] == ["admin@example.com", "lee@example.com"]


def test_roles_change_and_people_are_deactivated_and_reactivated(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    kim = _user(db, make_user(db, Role.viewer, email="kim@example.com"))
    kim_client = TestClient(client.app)
    sign_in(kim_client, "kim@example.com")
    changed = post(client, f"/settings/users/{kim.id}/role", {"role": "analyst"})
    assert changed.status_code == 303 and changed.headers["location"] == "/settings/users?done=role"
    assert "The role was changed." in client.get(changed.headers["location"]).text
    assert _user(db, "kim@example.com").role == "analyst"
    [role_entry] = _entries(db, "user.role_changed")
    assert role_entry.changes == {"role": ["viewer", "analyst"]}
    off = post(client, f"/settings/users/{kim.id}/active", {"active": "no"})
    assert off.headers["location"] == "/settings/users?done=deactivated"
    assert kim_client.get("/", follow_redirects=False).status_code == 303, "their session ended"
    assert "Reactivate kim@example.com" in client.get("/settings/users").text
    on = post(client, f"/settings/users/{kim.id}/active", {"active": "yes"})
    assert on.headers["location"] == "/settings/users?done=reactivated" and _user(db, "kim@example.com").is_active
    assert len(_entries(db, "user.updated")) == 2
    bad = post(client, f"/settings/users/{kim.id}/role", {"role": "owner"})
    assert bad.status_code == 422 and "is not a role" in bad.text
    assert post(client, "/settings/users/999999/role", {"role": "viewer"}).status_code == 404


def test_nobody_deactivates_themselves_and_the_last_admin_stays_one(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    me = _user(db, "admin@example.com")
    self_off = post(client, f"/settings/users/{me.id}/active", {"active": "no"})
    assert self_off.status_code == 409 and "you cannot deactivate yourself" in self_off.text
    demoted = post(client, f"/settings/users/{me.id}/role", {"role": "analyst"})
    assert demoted.status_code == 409 and "admin@example.com is the last active admin" in demoted.text
    assert "Nothing was changed." in demoted.text
    me_now = _user(db, "admin@example.com")
    assert (me_now.role, me_now.is_active) == ("admin", True)
    second = _user(db, make_user(db, Role.admin, email="second@example.com"))
    assert post(client, f"/settings/users/{second.id}/active", {"active": "no"}).status_code == 303
    assert post(client, f"/settings/users/{me.id}/role", {"role": "analyst"}).status_code == 409, "second is inactive"
    assert post(client, f"/settings/users/{second.id}/active", {"active": "yes"}).status_code == 303
    assert post(client, f"/settings/users/{me.id}/role", {"role": "analyst"}).status_code == 303, "not the last now"
    assert _entries(db, "user.role_changed")[0].changes == {"role": ["admin", "analyst"]}


def test_the_api_refuses_the_last_admin_s_role_and_a_key_s_own_user(api: TestClient, db: Database) -> None:
    with db.unit_of_work() as session:
        only = access.create_user(session, email="only@example.com", role=Role.admin)
        only_id = only.id
        _, plain = access.create_api_key(session, name="mine", role=Role.admin, user_id=only_id)
    refused = api.patch(f"/api/v1/users/{only_id}", json={"role": "viewer"})
    assert refused.status_code == 409 and "last active admin" in refused.json()["detail"]
    assert refused.json()["errors"] == [{"field": "role", "message": "the last active admin must stay an active admin"}]
    make_user(db, Role.admin, email="other@example.com")
    mine = {"Authorization": f"Bearer {plain}"}
    own = api.patch(f"/api/v1/users/{only_id}", json={"is_active": False}, headers=mine)
    assert own.status_code == 409 and own.json()["errors"][0]["field"] == "is_active"
    assert api.patch(f"/api/v1/users/{only_id}", json={"is_active": False}).status_code == 200


def test_api_keys_are_created_once_and_revoked(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    made = post(client, "/settings/api-keys", {"name": "zapier", "role": "agent"}, page="/settings/api-keys")
    plain = made.text.split('id="new-key">')[1].split("<")[0]
    auth = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/customers", headers=auth).status_code == 200
    nameless = post(client, "/settings/api-keys", {"name": " ", "role": "agent"}, page="/settings/api-keys")
    assert nameless.status_code == 422 and 'id="key-name-error">Name the key: what is it for?' in nameless.text
    with db.unit_of_work() as session:
        [key] = access.list_api_keys(session)
    revoked = post(client, f"/settings/api-keys/{key.id}/revoke", {}, page="/settings/api-keys")
    assert revoked.headers["location"] == "/settings/api-keys?done=revoked"
    assert client.get("/api/v1/customers", headers=auth).status_code == 401
    page = client.get("/settings/api-keys").text
    assert "No active API keys" in page and "Revoked lately" in page
    [entry] = _entries(db, "api_key.revoked")
    assert entry.target_id == str(key.id) and entry.actor_kind == "user"
    gone = post(client, "/settings/api-keys/999999/revoke", {}, page="/settings/api-keys")
    assert gone.status_code == 404 and "no API key with id 999999" in gone.text


def test_settings_forms_need_the_csrf_token_and_the_admin_role(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.admin)
    kim = _user(db, make_user(db, Role.analyst, email="kim@example.com"))
    forged = client.post(f"/settings/users/{kim.id}/role", data={"role": "admin", "csrf_token": "forged"})
    assert forged.status_code == 403 and "Nothing was changed" in forged.text
    analyst = TestClient(client.app)
    sign_in(analyst, "kim@example.com")
    token = csrf_token(analyst.get("/account").text)
    for path in ("/settings/users", f"/settings/users/{kim.id}/role", "/settings/teams", "/settings/contact-policy"):
        refused = analyst.post(path, data={"role": "admin", "csrf_token": token})
        assert refused.status_code == 403 and "needs the admin role" in refused.text, path
        assert analyst.get(path).status_code in (403, 405)
    assert _user(db, "kim@example.com").role == "analyst"


def test_channels_show_their_state_and_never_a_secret(client: TestClient, db: Database) -> None:
    assert set(CHANNEL_STATES) == set(registry.names()), "every channel of the registry has a state"
    settings = Settings(
        environment="test",
        smtp_url="smtp://mailer:hunter2-password@mail.example.com:587?starttls=1",
        sms_account_sid="AC0123456789abcdef",
        sms_auth_token=SecretStr("twilio-token-value"),
        zendesk_webhook_secret=SecretStr("zendesk-secret-value"),
    )
    states = {state.name: state for state in channel_states(settings, widget_sites=0)}
    assert states["Email"].configured and not states["SMS"].configured and not states["Widget"].configured
    assert states["Helpdesk webhooks"].configured and states["Hosted link"].configured
    shown = str(states)
    for secret_value in ("hunter2", "mailer", "twilio-token-value", "zendesk-secret-value", "AC0123456789ab"):
        assert secret_value not in shown
    assert "smtp://mail.example.com:587, with a login" in shown and "set, ends …cdef" in shown
    signed_in_client(client, db, Role.admin)
    page = client.get("/settings/channels")
    assert page.status_code == 200 and "CXLOOP_SMTP_URL" in page.text and "not configured" in page.text
    assert "No widget sites yet" in page.text and "/etc/cxloop/cxloop.env" in page.text
