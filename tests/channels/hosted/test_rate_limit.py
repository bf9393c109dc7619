"""core/rate_limit.py: sliding windows per key (used by the link, the kiosk and the widget), in memory or on Redis."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from limits.storage import RedisStorage

from cxloop.app import create_app
from cxloop.channels.hosted import limits
from cxloop.core.config import Settings
from cxloop.core.rate_limit import LIMITS, InProcessStorage, Limit, RateLimiter, Verdict, storage_for
from cxloop.storage.database import Database
from tests.channels.hosted.conftest import responses
from tests.channels.hosted.html_page import read, submit
from tests.jobs.conftest import REDIS_URL, require_redis

WINDOW_START = 600_000.0  # a multiple of every window used below: the counting windows are aligned to the clock


class FakeClock:
    def __init__(self) -> None:
        self.now = WINDOW_START + 10

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(time, "time", fake)  # what `limits` reads
    return fake


def test_a_window_fills_then_the_next_one_lets_hits_in_again(clock: FakeClock) -> None:
    limiter = RateLimiter(rate=3, per=60)
    assert [limiter.hit("a").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.hit("a")
    assert refused.retry_after == pytest.approx(50.0)  # the window that holds the three hits ends in 50 s
    assert refused.retry_after_header == "50"
    clock.now += 49.9
    assert not limiter.hit("a").allowed
    clock.now += 0.2
    assert limiter.hit("a").allowed  # the previous window's hits count less as it slides out
    assert not limiter.hit("a").allowed
    clock.now += 120
    assert [limiter.hit("a").allowed for _ in range(4)] == [True, True, True, False]


def test_refused_hits_take_nothing_and_keys_are_independent(clock: FakeClock) -> None:
    limiter = RateLimiter(rate=1, per=1)
    assert limiter.hit("a").allowed
    for _ in range(5):
        assert not limiter.hit("a").allowed
    clock.now += 2.0
    assert limiter.hit("a").allowed  # the refused hits did not dig a deeper hole
    assert limiter.hit("b").allowed
    assert limiter.remaining("c") == 1


def test_cost_reset_and_bad_settings(clock: FakeClock) -> None:
    limiter = RateLimiter(rate=10, per=60)
    assert limiter.hit("a", cost=10).allowed
    assert not limiter.hit("a").allowed
    assert not limiter.hit("b", cost=11).allowed  # more than the window holds is never allowed
    limiter.reset("a")
    assert limiter.remaining("a") == 10
    assert limiter.hit("a", cost=4).allowed
    assert limiter.remaining("a") == 6
    assert Verdict(False, 0.2).retry_after_header == "1"
    for bad in ({"rate": 0, "per": 1}, {"rate": 1, "per": -1}, {"rate": 1, "per": 0}):
        with pytest.raises(ValueError):
            RateLimiter(**bad)  # type: ignore[arg-type]


def test_memory_stays_bounded(clock: FakeClock) -> None:
    storage = InProcessStorage()
    limiter = RateLimiter(rate=1, per=60, storage=storage)
    for i in range(1000):
        assert limiter.hit(f"key-{i}").allowed
    assert not limiter.hit("key-999").allowed
    clock.now += 180  # both windows of every key are over: their counters expire
    assert limiter.hit("key-new").allowed  # the first write a second after the last sweep sweeps them
    assert len(storage.storage) == 1


def test_counting_starts_no_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """limits' own memory storage starts a timer thread on a write 10 ms after the last one ran (and Thread.start
    waits for the new thread to run: on a busy event loop, milliseconds); ours sweeps inline."""
    limiter = RateLimiter(rate=1_000_000, per=60, storage=InProcessStorage())
    started: list[threading.Thread] = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (started.append(thread), start(thread))[1])
    for i in range(20):
        time.sleep(0.012)
        assert limiter.hit(f"key-{i % 5}").allowed
    assert started == []


def test_threads_never_get_more_than_the_rate() -> None:
    limiter = RateLimiter(rate=50, per=3600)
    allowed: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(100):
            verdict = limiter.hit("shared")
            with lock:
                allowed.append(verdict.allowed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 50


def test_without_redis_each_process_counts_in_its_own_memory() -> None:
    assert isinstance(storage_for(Settings(redis_url=None)), InProcessStorage)
    first, second = RateLimiter(rate=2, per=3600), RateLimiter(rate=2, per=3600)
    assert [first.hit("ip").allowed for _ in range(3)] == [True, True, False]
    assert second.hit("ip").allowed  # a second server process would not know about the first one's hits


@pytest.fixture
def redis_settings() -> Settings:
    require_redis()
    return Settings(redis_url=REDIS_URL, jobs_queue=f"test-{uuid.uuid4().hex[:12]}")


_OTHER_PROCESS = """
import sys
from cxloop.core.config import Settings
from cxloop.core.rate_limit import RateLimiter, storage_for
storage = storage_for(Settings(redis_url=sys.argv[1], jobs_queue=sys.argv[2]))
limiter = RateLimiter(rate=5, per=3600, storage=storage, name="hosted-link")
print(",".join(str(limiter.hit("203.0.113.7").allowed) for _ in range(3)))
"""


def test_on_redis_every_process_shares_one_budget(redis_settings: Settings) -> None:
    storage = storage_for(redis_settings)
    assert isinstance(storage, RedisStorage)
    assert storage.key_prefix == f"{redis_settings.jobs_queue}:rate-limit"
    here = RateLimiter(rate=5, per=3600, storage=storage, name="hosted-link")
    assert [here.hit("203.0.113.7").allowed for _ in range(3)] == [True, True, True]
    other = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(redis_settings.redis_url), redis_settings.jobs_queue],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert other.stdout.strip() == "True,True,False"  # two left of five, whichever process asks
    assert not here.hit("203.0.113.7").allowed
    refused = here.hit("203.0.113.7")
    assert 0 < refused.retry_after <= 3600
    # Another installation on the same Redis (another jobs_queue name) counts apart.
    neighbour = storage_for(Settings(redis_url=redis_settings.redis_url, jobs_queue=redis_settings.jobs_queue + "-b"))
    assert RateLimiter(rate=5, per=3600, storage=neighbour, name="hosted-link").hit("203.0.113.7").allowed
    here.reset("203.0.113.7")
    assert here.remaining("203.0.113.7") == 5


def test_two_servers_on_one_redis_share_the_link_pages_limit(
    settings: Settings, db: Database, nps_survey: int, redis_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A day's window, so the counting window does not roll over during the test.
    monkeypatch.setitem(LIMITS, limits.LINK, Limit(limits.LINK, rate=4, per=86_400))
    apps = [create_app(settings, database=db) for _ in range(2)]
    assert all(isinstance(app.state.rate_limit_storage, InProcessStorage) for app in apps)  # no Redis configured
    for app in apps:  # as create_app builds it when CXLOOP_REDIS_URL is set
        app.state.rate_limit_storage = storage_for(redis_settings)
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        served = [submit(c, read(c.get("/s/k/relationship-nps")), "9") for c in (first, second, first, second)]
        assert [r.status_code for r in served] == [303, 303, 303, 303]
        refused = [submit(c, read(c.get("/s/k/relationship-nps")), "9") for c in (first, second)]
        assert [r.status_code for r in refused] == [429, 429]
    assert len(responses(db)) == 4


def test_an_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    down = storage_for(Settings(redis_url="redis://127.0.0.1:1/0", jobs_queue="test-down"))
    limiter = RateLimiter(rate=1, per=60, storage=down)
    with caplog.at_level("WARNING", logger="cxloop.core.rate_limit"):
        assert [limiter.hit("ip").allowed for _ in range(3)] == [True, True, True]
    assert "rate limit store unreachable" in caplog.text
