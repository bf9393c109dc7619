"""In-process rate limiting: one token bucket per key (a client IP, a kiosk device, a widget site key).

    limiter = RateLimiter(rate=10, per=60.0)          # 10 a minute, in bursts of up to 10
    verdict = limiter.hit(f"{ip}|{device}")
    if not verdict.allowed:
        ...  # answer 429 with Retry-After: verdict.retry_after_header

Each key's bucket holds up to `burst` tokens (default: `rate`) and refills at `rate / per` tokens a second; a hit
takes one token (or `cost`), and is refused, taking nothing, when the bucket holds less. Buckets live in this process
only: with N server processes a client gets up to N times the rate, which is fine for abuse control on public
endpoints (a shared store would cost a network round trip per request). Thread-safe; memory is bounded by
`max_keys` (full buckets are forgotten first, since a full bucket is the same as none).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """The outcome of one hit: allowed, or refused with the seconds until a hit of the same cost would pass."""

    allowed: bool
    retry_after: float = 0.0

    @property
    def retry_after_header(self) -> str:
        """The value of an HTTP Retry-After header: whole seconds, at least 1."""
        return str(max(1, math.ceil(self.retry_after)))


class RateLimiter:
    """Token buckets per key: `rate` hits per `per` seconds, bursts of up to `burst` (default `rate`).

    `clock` returns seconds on a monotonic scale (tests pass a fake one).
    """

    def __init__(
        self,
        *,
        rate: float,
        per: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if rate <= 0 or per <= 0:
            raise ValueError("rate and per must be positive")
        self.capacity = float(burst if burst is not None else rate)
        if self.capacity < 1:
            raise ValueError("burst must allow at least one hit")
        self.refill_per_second = rate / per
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.refill_per_second)

    def hit(self, key: str, cost: float = 1.0) -> Verdict:
        """Take `cost` tokens from the key's bucket if it holds them; a refused hit takes nothing."""
        with self._lock:
            now = self._clock()
            tokens = self._tokens(key, now)
            if tokens < cost:
                self._buckets[key] = (tokens, now)
                return Verdict(False, (cost - tokens) / self.refill_per_second)
            if key not in self._buckets and len(self._buckets) >= self._max_keys:
                self._forget_full(now)
            self._buckets[key] = (tokens - cost, now)
            return Verdict(True)

    def remaining(self, key: str) -> float:
        """The tokens the key's bucket holds now (`burst` for a key never seen)."""
        with self._lock:
            return self._tokens(key, self._clock())

    def reset(self, key: str | None = None) -> None:
        """Forget one key's bucket, or every bucket."""
        with self._lock:
            if key is None:
                self._buckets.clear()
            else:
                self._buckets.pop(key, None)

    def _forget_full(self, now: float) -> None:
        full = [key for key in self._buckets if self._tokens(key, now) >= self.capacity]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            # Still full of busy keys: drop the oldest half rather than grow without bound.
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])[: len(self._buckets) // 2]
            for key in oldest:
                del self._buckets[key]
