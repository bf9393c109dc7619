"""Segment's HTTP Tracking API, driven by Segment's own Python and Node clients against a running server, and by
hand for the limits and errors those clients never send."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from segment.analytics.client import Client
from segment.analytics.request import APIError
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.customers.models import Account, Customer, Event
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.live import LiveServer

NODE_CLIENT = Path(__file__).parent / "segment_node"


def _key(db: Database, role: Role = Role.agent) -> str:
    return make_key(db, role)["Authorization"].removeprefix("Bearer ")


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def _events(db: Database) -> list[Event]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(Event).order_by(Event.id)))


def _customers(db: Database) -> dict[str, Customer]:
    with db.unit_of_work() as session:
        return {c.external_id: c for c in session.scalars(select(Customer))}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_official_python_client_sends_every_call_type(db: Database, live_server: LiveServer, compress: bool) -> None:
    client = Client(write_key=_key(db), host=live_server.url, sync_mode=True, gzip=compress, max_retries=0)
    client.group("u-1", "acme", {"name": "Acme", "plan": "enterprise"})
    client.identify("u-1", {"email": "ada@example.com", "name": "Ada Lovelace"})
    client.track("u-1", "Order Completed", {"total": 42}, message_id="m-1")
    client.track("u-1", "Order Completed", {"total": 42}, message_id="m-1")  # a resend
    client.page("u-1", "Docs", "Pricing", {"path": "/pricing"})
    client.screen("u-1", "App", "Home")
    client.track(anonymous_id="anon-7", event="Viewed Pricing", message_id="m-2")
    client.alias("anon-7", "u-1")
    client.identify("u-1", anonymous_id="anon-7")

    customers = _customers(db)
    assert customers["u-1"].email == "ada@example.com"
    with db.unit_of_work() as session:
        assert session.scalars(select(Account.name).where(Account.external_id == "acme")).all() == ["Acme"]
    events = _events(db)
    orders = [e for e in events if e.name == "Order Completed"]
    assert len(orders) == 1, "the resent messageId is stored once"
    assert orders[0].properties == {"total": 42}
    assert orders[0].customer_id == customers["u-1"].id
    anonymous = [e for e in events if e.external_id == "m-2"]
    assert anonymous[0].customer_id == customers["u-1"].id, "identify links the anonymous events"
    assert {e.source for e in events} == {"segment"}


def test_official_python_client_is_refused_with_a_bad_key(db: Database, live_server: LiveServer) -> None:
    client = Client(write_key="not-a-key", host=live_server.url, sync_mode=True, max_retries=0)
    with pytest.raises(APIError) as refused:
        client.track("u-1", "Order Completed")
    assert refused.value.status == 401
    assert refused.value.code == "unauthorized"
    assert _events(db) == []


def test_official_node_client(db: Database, live_server: LiveServer) -> None:
    if not (NODE_CLIENT / "node_modules").exists():  # `make test` installs it (the node-clients target)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_CLIENT, check=True, capture_output=True)
    calls = [
        {"type": "identify", "args": {"userId": "u-9", "traits": {"email": "grace@example.com"}}},
        {"type": "track", "args": {"userId": "u-9", "event": "Signed Up", "properties": {"plan": "pro"}}},
        {"type": "page", "args": {"userId": "u-9", "name": "Pricing"}},
    ]
    sent = subprocess.run(
        ["node", "send.mjs", live_server.url, _key(db), json.dumps(calls)],
        cwd=NODE_CLIENT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sent.returncode == 0, sent.stderr
    assert _customers(db)["u-9"].email == "grace@example.com"
    assert sorted(e.name for e in _events(db)) == ["Signed Up", "page_viewed"]


def _post(client: TestClient, path: str, body: Any, key: str, **headers: str) -> Any:
    return client.post(path, content=orjson.dumps(body), headers={**_basic(key), **headers})


def test_sent_at_corrects_the_senders_clock(client: TestClient, db: Database) -> None:
    late = datetime.now(UTC) - timedelta(hours=3)  # the sender's clock runs three hours late
    happened = late - timedelta(minutes=10)
    body = {
        "batch": [{"type": "track", "userId": "u-1", "event": "Opened", "timestamp": happened.isoformat()}],
        "sentAt": late.isoformat(),
    }
    answer = _post(client, "/v1/batch", body, _key(db))
    assert answer.status_code == 200 and answer.json() == {"success": True}
    stored = _events(db)[0].occurred_at
    expected = datetime.now(UTC) - timedelta(minutes=10)
    assert abs((stored.replace(tzinfo=UTC) - expected).total_seconds()) < 30


def test_a_call_without_sent_at_keeps_its_timestamp(client: TestClient, db: Database) -> None:
    body = {"type": "track", "userId": "u-1", "event": "Opened", "timestamp": "2026-01-02T03:04:05Z"}
    assert _post(client, "/v1/track", body, _key(db)).status_code == 200
    assert _events(db)[0].occurred_at.replace(tzinfo=UTC) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_limits_and_bad_input_are_refused_whole(client: TestClient, db: Database) -> None:
    key = _key(db)
    big = {"type": "track", "userId": "u-1", "event": "Big", "properties": {"blob": "x" * 33_000}}
    small = {"type": "track", "userId": "u-1", "event": "Small"}
    answer = _post(client, "/v1/batch", {"batch": [small, big]}, key)
    assert answer.status_code == 400
    assert answer.json()["code"] == "message_too_large"
    assert answer.json()["errors"] == [{"field": "batch.1", "message": "a call may carry at most 32768 bytes"}]

    many = {"batch": [{**small, "properties": {"blob": "x" * 20_000}} for _ in range(30)]}
    assert _post(client, "/v1/batch", many, key).status_code == 413

    wrong_type = _post(client, "/v1/identify", small, key)
    assert wrong_type.status_code == 400 and wrong_type.json()["errors"][0]["field"] == "type"

    bad_email = _post(client, "/v1/identify", {"userId": "u-1", "traits": {"email": "nope"}}, key)
    assert bad_email.status_code == 400
    assert bad_email.json()["errors"][0]["field"] == "traits.email"

    not_json = client.post("/v1/batch", content=b"{", headers=_basic(key))
    assert not_json.status_code == 400 and not_json.json()["code"] == "invalid_json"
    assert _events(db) == [] and _customers(db) == {}


def test_gzip_bodies_are_capped_after_decompression(client: TestClient, db: Database) -> None:
    key = _key(db)
    bomb = gzip.compress(b" " * 50_000_000)  # 50 MB of spaces: about 50 KB compressed
    answer = client.post("/v1/batch", content=bomb, headers={**_basic(key), "Content-Encoding": "gzip"})
    assert answer.status_code == 413
    damaged = client.post(
        "/v1/batch", content=b"\x1f\x8b nonsense", headers={**_basic(key), "Content-Encoding": "gzip"}
    )
    assert damaged.status_code == 400 and damaged.json()["code"] == "invalid_gzip"
    brotli = client.post("/v1/batch", content=b"{}", headers={**_basic(key), "Content-Encoding": "br"})
    assert brotli.status_code == 415


def test_write_key_needs_the_agent_role(client: TestClient, db: Database) -> None:
    body = {"type": "track", "userId": "u-1", "event": "Opened"}
    assert _post(client, "/v1/track", body, _key(db, Role.viewer)).status_code == 403
    assert client.post("/v1/track", content=orjson.dumps(body)).status_code == 401
    in_body = client.post("/v1/track", content=orjson.dumps({**body, "writeKey": _key(db)}))
    assert in_body.status_code == 200
    assert [e.name for e in _events(db)] == ["Opened"]
