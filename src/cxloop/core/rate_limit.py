"""Rate limits of the public endpoints (a client IP, a kiosk device, a widget site), counted by the `limits` library.

    limiter = RateLimiter(rate=10, per=60, storage=storage_for(settings), name="hosted-link")
    verdict = limiter.hit(f"{ip}|{device}")
    if not verdict.allowed:
        ...  # answer 429 with Retry-After: verdict.retry_after_header

Each key may make `rate` hits in any `per` seconds, counted with a sliding window (the current fixed window plus the
previous one, weighted by how much of it still overlaps: two counters a key, no list of hits). The weighting assumes
the previous window's hits were spread evenly: a client that spent its budget at the very end of one window gets part
of it back early in the next, so in the worst case any `per` seconds see up to twice `rate`. A refused hit counts
nothing. Where the counts live decides who shares them:
- Redis (settings.redis_url set): every server process on every machine shares one budget per key; the keys start
  with the installation's `jobs_queue` name, so installations (and test runs) sharing a server stay apart.
- Otherwise this process's memory: with `cxloop serve --workers N` a client gets up to N times the limit. `limits`
  has no store shared between processes without a server, so run Redis for exact limits over several processes.

If Redis cannot be reached the hit is allowed (and logged): the limits are abuse control, and an outage of the
counter store should not take the public pages down with it.

Code on the event loop (the widget, the /api/v1 limits of api/rate_limits.py) uses `AsyncRateLimiter`: the same
counts, on Redis through the asyncio client of `limits` (a blocking round trip would stop every request of the
process); in memory it counts inline, which does no I/O.

`LIMITS` holds every fixed limit (the pages, the kiosk, the widget); the limits of /api/v1 (per API key, per client
address) come from Settings, and `api_limits` is the one place that reads them.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage as AsyncRedisStorage
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter as AsyncSlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter

if TYPE_CHECKING:
    from cxloop.core.config import Settings

log = logging.getLogger(__name__)

# What an AsyncRateLimiter counts in: the asyncio Redis storage, or a (sync) memory storage.
AnyStorage = AsyncStorage | Storage


def storage_for(settings: Settings) -> Storage:
    """Redis when settings.redis_url is set (keys prefixed `<jobs_queue>:rate-limit`), else this process's memory."""
    if settings.redis_url:
        return RedisStorage(settings.redis_url, key_prefix=_key_prefix(settings), wrap_exceptions=True)
    return InProcessStorage()


class InProcessStorage(MemoryStorage):
    """`limits`' memory storage without a thread per expiry: the original restarts a `threading.Timer` 10 ms after
    a write whenever the last one has run, so under steady load it starts a new thread about every 10 ms, and does
    so on the event loop (a profile of 1,000 POSTs/s spent a fifth of the loop's time there). Here expired keys are
    swept inline, at most once a second; reads already ignore expired counts, so only memory waits for the sweep."""

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the private method the base class calls
        now = time.time()  # the clock `limits` reads (tests move it)
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def async_storage_for(settings: Settings, storage: Storage) -> AnyStorage:
    """The storage of `AsyncRateLimiter`s: the same Redis keys through the asyncio client, or `storage` itself (this
    process's memory, the one the sync limiters count in)."""
    if settings.redis_url:
        return AsyncRedisStorage(
            f"async+{settings.redis_url}",
            implementation="redispy",
            key_prefix=_key_prefix(settings),
            wrap_exceptions=True,
        )
    return storage


async def close(storage: AnyStorage) -> None:
    """Close the connections of an asyncio Redis storage (bound to the event loop that opened them)."""
    if isinstance(storage, AsyncRedisStorage):
        await storage.bridge.storage.aclose()  # type: ignore[attr-defined]  # the redis-py bridge's client


def _key_prefix(settings: Settings) -> str:
    return f"{settings.jobs_queue}:rate-limit"


@dataclass(frozen=True)
class Limit:
    """`rate` requests per `per` seconds; a rate of 0 turns the limit off."""

    name: str
    rate: int
    per: int

    @property
    def enabled(self) -> bool:
        return self.rate > 0


# Every fixed limit of the app, in one place; the /api/v1 limits are settings (`api_limits`). Their users look them
# up by name (channels/hosted/limits.py, channels/widget/public_route.py); tests may put stricter ones in their place.
LIMITS: dict[str, Limit] = {
    limit.name: limit
    for limit in (
        # Anonymous survey link: new responses per client address. Generous enough for a shared office connection.
        Limit("hosted-link", rate=10, per=60),
        # Kiosk: scores per device (cookie) and address. A person needs a few seconds per answer and the thank-you
        # screen shows for 5, so an honest kiosk stays well below this; a child hammering the faces does not.
        Limit("kiosk", rate=5, per=30),
        # Widget, per client address over every widget endpoint: a page view costs 2-4 requests, a prompt answered a
        # few more.
        Limit("widget", rate=60, per=30),
        # Web app sign-in attempts, per client address and per email typed: a person who mistypes needs a few; a
        # password guesser gets 10 tries in 5 minutes for an address and for an account, wherever they come from.
        Limit("web-sign-in", rate=10, per=300),
    )
}


def api_limits(settings: Settings) -> tuple[Limit, Limit]:
    """The /api/v1 limits: (per client address, per API key), from the CXLOOP_API_RATE_* settings."""
    per = settings.api_rate_window
    return Limit("api-ip", settings.api_rate_per_ip, per), Limit("api-key", settings.api_rate_per_key, per)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one hit: allowed, or refused with the seconds until the window lets the key in again."""

    allowed: bool
    retry_after: float = 0.0

    @property
    def retry_after_header(self) -> str:
        """The value of an HTTP Retry-After header: whole seconds, at least 1."""
        return str(max(1, math.ceil(self.retry_after)))


class RateLimiter:
    """`rate` hits per `per` seconds for each key. Limiters with the same `name`, `rate` and `per` on one storage
    share their counts; a storage defaults to a fresh in-memory one."""

    def __init__(self, *, rate: int, per: int, storage: Storage | None = None, name: str = "default") -> None:
        if rate < 1 or per < 1:
            raise ValueError("rate and per must be at least 1")
        self.item = RateLimitItemPerSecond(rate, per, namespace=name)
        self._strategy = SlidingWindowCounterRateLimiter(storage if storage is not None else InProcessStorage())

    def hit(self, key: str, cost: int = 1) -> Verdict:
        """Count `cost` hits for the key if the window has room for them; a refused hit counts nothing."""
        try:
            if self._strategy.hit(self.item, key, cost=cost):
                return Verdict(True)
            return _refused(self._strategy.get_window_stats(self.item, key).reset_time)
        except StorageError as exc:
            return _store_unreachable(exc)

    def remaining(self, key: str) -> int:
        """The hits the key may still make now (`rate` for a key never seen)."""
        return self._strategy.get_window_stats(self.item, key).remaining

    def reset(self, key: str) -> None:
        """Forget the key's counts."""
        self._strategy.clear(self.item, key)


class AsyncRateLimiter:
    """A `RateLimiter` for code on the event loop: `await limiter.hit(key)`. On an asyncio Redis storage it awaits
    the round trip; on a memory storage (a fresh one by default) it counts inline: no I/O, nothing to wait for."""

    def __init__(self, *, rate: int, per: int, storage: AnyStorage | None = None, name: str = "default") -> None:
        if isinstance(storage, AsyncStorage):
            self.item = RateLimitItemPerSecond(rate, per, namespace=name)
            self._strategy: AsyncSlidingWindowCounterRateLimiter | None = AsyncSlidingWindowCounterRateLimiter(storage)
            self._inline: RateLimiter | None = None
        else:
            self._inline = RateLimiter(rate=rate, per=per, storage=storage, name=name)
            self.item = self._inline.item
            self._strategy = None

    async def hit(self, key: str, cost: int = 1) -> Verdict:
        """As `RateLimiter.hit`."""
        if self._strategy is None:
            assert self._inline is not None
            return self._inline.hit(key, cost)
        try:
            if await self._strategy.hit(self.item, key, cost=cost):
                return Verdict(True)
            return _refused((await self._strategy.get_window_stats(self.item, key)).reset_time)
        except StorageError as exc:
            return _store_unreachable(exc)


def _refused(reset_at: float) -> Verdict:
    return Verdict(False, max(0.0, reset_at - time.time()))


def _store_unreachable(exc: StorageError) -> Verdict:
    log.warning("rate limit store unreachable, allowing the request: %s", exc)
    return Verdict(True)
