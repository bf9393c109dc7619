"""core/rate_limit.py: token buckets per key (used by the link, the kiosk and the widget)."""

from __future__ import annotations

import threading

import pytest

from cxloop.core.rate_limit import RateLimiter, Verdict


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_refill_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=6, per=60.0, burst=3, clock=clock)
    assert [limiter.hit("a").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.hit("a")
    assert refused.retry_after == pytest.approx(10.0)  # one token every 10 s
    assert refused.retry_after_header == "10"
    clock.now += 9.9
    assert not limiter.hit("a").allowed
    clock.now += 0.1
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed


def test_refused_hits_take_nothing_and_keys_are_independent() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=1, per=1.0, clock=clock)
    assert limiter.hit("a").allowed
    for _ in range(5):
        assert not limiter.hit("a").allowed
    clock.now += 1.0
    assert limiter.hit("a").allowed  # the refused hits did not dig a deeper hole
    assert limiter.hit("b").allowed
    assert limiter.remaining("c") == 1.0


def test_cost_reset_and_bad_settings() -> None:
    limiter = RateLimiter(rate=10, per=60.0, clock=FakeClock())
    assert limiter.hit("a", cost=10).allowed
    assert not limiter.hit("a").allowed
    limiter.reset("a")
    assert limiter.remaining("a") == 10
    assert limiter.hit("a", cost=4).allowed
    limiter.reset()
    assert limiter.remaining("a") == 10
    assert Verdict(False, 0.2).retry_after_header == "1"
    for bad in ({"rate": 0, "per": 1.0}, {"rate": 1, "per": -1.0}, {"rate": 1, "per": 1.0, "burst": 0.5}):
        with pytest.raises(ValueError):
            RateLimiter(**bad)  # type: ignore[arg-type]


def test_memory_stays_bounded() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=1, per=60.0, clock=clock, max_keys=100)
    for i in range(1000):
        assert limiter.hit(f"key-{i}").allowed
    assert len(limiter._buckets) <= 100
    # The newest keys are still limited: the oldest were forgotten first.
    assert not limiter.hit("key-999").allowed


def test_threads_never_get_more_than_the_burst() -> None:
    limiter = RateLimiter(rate=50, per=3600.0)
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
