"""api/rate_limits.py: /api/v1 limits per client address and per API key, in memory or shared through Redis."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.app import create_app
from cxloop.core import rate_limit
from cxloop.core.config import Settings
from cxloop.core.rate_limit import AsyncRateLimiter, RateLimiter, async_storage_for, storage_for
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.jobs.conftest import REDIS_URL, require_redis
from tests.live import serving

HOUR = 3600  # a window no test crosses


def _app(settings: Settings, db: Database, **limits: int) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={"api_rate_window": HOUR, **limits}), database=db))


def _assert_refused(answer: httpx.Response, *, limit: int, field: str) -> None:
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= HOUR
    assert answer.headers["RateLimit-Limit"] == str(limit)
    assert answer.headers["RateLimit-Remaining"] == "0"
    assert answer.headers["RateLimit-Reset"] == answer.headers["Retry-After"]
    assert answer.headers["RateLimit-Policy"] == f"{limit};w={HOUR}"
    body = answer.json()
    assert body["detail"] == "too many requests"
    assert [e["field"] for e in body["errors"]] == [field]
    assert f"at most {limit} in {HOUR} s" in body["errors"][0]["message"]


def test_per_key_limit_in_memory(settings: Settings, db: Database) -> None:
    first, second = make_key(db, Role.viewer), make_key(db, Role.viewer)
    with _app(settings, db, api_rate_per_key=3) as client:
        assert [client.get("/api/v1/responses", headers=first).status_code for _ in range(3)] == [200] * 3
        _assert_refused(client.get("/api/v1/responses", headers=first), limit=3, field="Authorization")
        assert client.get("/api/v1/responses", headers=second).status_code == 200  # each key has its own budget
        assert client.get("/api/v1/health").status_code == 200  # health checks are never limited
        assert client.get("/api/v1/health").status_code == 200


def test_per_address_limit_counts_with_and_without_keys(settings: Settings, db: Database) -> None:
    key = make_key(db, Role.viewer)
    with _app(settings, db, api_rate_per_ip=3, api_rate_per_key=0) as client:
        assert client.get("/api/v1/responses").status_code == 401  # a client guessing keys spends its budget
        assert client.get("/api/v1/responses", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/v1/responses", headers=key).status_code == 200
        _assert_refused(client.get("/api/v1/responses", headers=key), limit=3, field="client address")
        assert client.get("/s/unknown/survey").status_code != 429  # the public pages have limits of their own


def test_zero_turns_the_limits_off(settings: Settings, db: Database) -> None:
    key = make_key(db, Role.viewer)
    with _app(settings, db, api_rate_per_ip=0, api_rate_per_key=0) as client:
        assert {client.get("/api/v1/responses", headers=key).status_code for _ in range(20)} == {200}


def test_defaults_are_generous() -> None:
    defaults = Settings()
    assert (defaults.api_rate_per_key, defaults.api_rate_per_ip, defaults.api_rate_window) == (60_000, 120_000, 60)


@pytest.fixture
def queue_name() -> str:
    require_redis()
    return f"test-{uuid.uuid4().hex[:12]}"


def test_two_server_processes_share_the_key_limit_through_redis(db: Database, tmp_path: Path, queue_name: str) -> None:
    key = make_key(db, Role.viewer)
    env = {"CXLOOP_REDIS_URL": REDIS_URL, "CXLOOP_JOBS_QUEUE": queue_name}
    options = ["--rate-per-key", "4", "--rate-window", str(HOUR)]
    with serving(db, tmp_path, *options, env=env) as one, serving(db, tmp_path, *options, env=env) as two:
        bases = [one, two, one, two]
        assert [httpx.get(f"{b}/api/v1/responses", headers=key).status_code for b in bases] == [200] * 4
        for base in (one, two):
            _assert_refused(httpx.get(f"{base}/api/v1/responses", headers=key), limit=4, field="Authorization")
        other = make_key(db, Role.viewer)
        assert httpx.get(f"{two}/api/v1/responses", headers=other).status_code == 200


def test_the_event_loop_limiter_shares_counts_with_the_sync_one_on_redis(queue_name: str) -> None:
    asyncio.run(_shares_counts(queue_name))


async def _shares_counts(queue_name: str) -> None:
    settings = Settings(redis_url=REDIS_URL, jobs_queue=queue_name)
    sync_storage = storage_for(settings)
    on_loop_storage = async_storage_for(settings, sync_storage)
    on_loop = AsyncRateLimiter(rate=3, per=HOUR, storage=on_loop_storage, name="widget")
    in_thread = RateLimiter(rate=3, per=HOUR, storage=sync_storage, name="widget")
    assert (await on_loop.hit("203.0.113.7")).allowed
    assert in_thread.hit("203.0.113.7").allowed
    assert (await on_loop.hit("203.0.113.7")).allowed
    refused = await on_loop.hit("203.0.113.7")
    assert not refused.allowed
    assert 0 < refused.retry_after <= HOUR
    assert not in_thread.hit("203.0.113.7").allowed
    await rate_limit.close(on_loop_storage)


def test_the_event_loop_limiter_lets_requests_through_when_redis_is_down() -> None:
    asyncio.run(_through_when_down())


async def _through_when_down() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1/0", jobs_queue="test-down")
    down = async_storage_for(settings, storage_for(settings))
    limiter = AsyncRateLimiter(rate=1, per=60, storage=down)
    assert [(await limiter.hit("ip")).allowed for _ in range(3)] == [True, True, True]
    await rate_limit.close(down)


def test_the_event_loop_limiter_counts_in_memory_without_redis() -> None:
    asyncio.run(_counts_in_memory())


async def _counts_in_memory() -> None:
    memory = storage_for(Settings(redis_url=None))
    assert async_storage_for(Settings(redis_url=None), memory) is memory
    limiter = AsyncRateLimiter(rate=2, per=HOUR, storage=memory)
    assert [(await limiter.hit("ip")).allowed for _ in range(3)] == [True, True, False]
