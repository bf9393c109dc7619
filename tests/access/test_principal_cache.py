from __future__ import annotations

import time

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.access.principal_cache import PrincipalCache
from cxloop.access.schemas import Principal

ANN = Principal(api_key_id=1, name="ann", role=Role.agent)


def test_entries_expire_after_the_ttl() -> None:
    cache = PrincipalCache(ttl=0.05)
    cache.put("d1", ANN)
    assert cache.get("d1") == ANN
    time.sleep(0.06)
    assert cache.get("d1") is None


def test_invalidate_forgets_everything_at_once() -> None:
    cache = PrincipalCache()
    cache.put("d1", ANN)
    cache.invalidate()
    assert cache.get("d1") is None
    cache.put("d2", ANN)
    assert cache.get("d2") == ANN


def test_a_revoked_key_stops_working_at_once_even_when_cached(api: TestClient) -> None:
    created = api.post("/api/v1/api-keys", json={"name": "cached", "role": "viewer"}).json()
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert api.get("/api/v1/metrics/nps", headers=headers).status_code == 200  # now cached
    api.delete(f"/api/v1/api-keys/{created['id']}")
    assert api.get("/api/v1/metrics/nps", headers=headers).status_code == 401
