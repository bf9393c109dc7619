from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from tests.conftest import make_key


def test_health_needs_no_key(client: TestClient) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["database"] in {"sqlite", "postgresql"}


def test_management_endpoints_refuse_missing_and_bad_keys(client: TestClient) -> None:
    missing = client.get("/api/v1/api-keys")
    assert missing.status_code == 401
    assert "Bearer" in missing.json()["detail"]
    wrong = client.get("/api/v1/api-keys", headers={"Authorization": "Bearer cxk_nope"})
    assert wrong.status_code == 401


def test_admin_creates_uses_and_revokes_a_key(api: TestClient) -> None:
    created = api.post("/api/v1/api-keys", json={"name": "importer", "role": "agent"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("cxk_")
    headers = {"Authorization": f"Bearer {key}"}
    assert api.get("/api/v1/api-keys", headers=headers).status_code == 403  # agent is not admin
    listed = api.get("/api/v1/api-keys").json()
    assert "key" not in listed[0]
    assert any(k["name"] == "importer" and k["last_used_at"] for k in listed)
    assert api.delete(f"/api/v1/api-keys/{created.json()['id']}").status_code == 200
    assert api.get("/api/v1/health", headers=headers).status_code == 200
    assert api.get("/api/v1/api-keys", headers=headers).status_code == 401


def test_role_names_are_validated(api: TestClient) -> None:
    response = api.post("/api/v1/api-keys", json={"name": "x", "role": "superuser"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "role"


def test_viewer_cannot_create_keys(client: TestClient, db: Database) -> None:
    response = client.post("/api/v1/api-keys", json={"name": "x", "role": "admin"}, headers=make_key(db, Role.viewer))
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]


def test_admin_manages_users_and_deactivation_revokes_their_keys(api: TestClient, db: Database) -> None:
    created = api.post("/api/v1/users", json={"email": "Ann@Example.com", "role": "analyst", "name": "Ann"})
    assert created.status_code == 201
    user = created.json()
    assert user["email"] == "ann@example.com"
    duplicate = api.post("/api/v1/users", json={"email": "ann@example.com", "role": "viewer"})
    assert duplicate.status_code == 409
    from cxloop.access import service as access

    with db.unit_of_work() as session:
        _, plain = access.create_api_key(session, name="ann's key", role=Role.analyst, user_id=user["id"])
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/health", headers=headers).status_code == 200
    assert api.patch(f"/api/v1/users/{user['id']}", json={"is_active": False}).json()["is_active"] is False
    assert api.get("/api/v1/users", headers=headers).status_code == 401
    assert api.patch("/api/v1/users/999", json={"name": "x"}).status_code == 404


def test_bad_user_fields_are_named(api: TestClient) -> None:
    response = api.post("/api/v1/users", json={"email": "not-an-email", "role": "viewer", "password": "short"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"email", "password"}


def test_a_write_is_committed_before_the_response_arrives(api: TestClient, db: Database) -> None:
    created = api.post("/api/v1/api-keys", json={"name": "committed", "role": "viewer"}).json()
    from cxloop.access import service as access

    with db.unit_of_work() as session:  # a separate connection sees the row at once
        assert any(k.id == created["id"] for k in access.list_api_keys(session))


def test_write_units_of_work_take_the_sqlite_write_lock_up_front(db: Database) -> None:
    import sqlite3

    from sqlalchemy import text

    with db.unit_of_work(write=True) as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1  # only a read so far
        if db.is_sqlite:  # yet a second writer is refused: the lock was taken at the start
            raw = sqlite3.connect(db.url.split("///", 1)[1], timeout=0)
            try:
                raw.execute("BEGIN IMMEDIATE")
                locked = False
            except sqlite3.OperationalError:
                locked = True
            finally:
                raw.close()
            assert locked
