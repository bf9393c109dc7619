"""Site snapshots per public key, kept for a few seconds in each server process.

Every page view asks for its site several times (config, decide, answers); reading the site, its rules and their
surveys each time would cost more than the decision itself. A changed site is seen by this process at once (the
management routes call `forget`) and by the other server processes within `ttl` seconds. Unknown keys are cached
too, so a flood of made-up keys costs one query per key and interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cxloop.channels.widget.service import SiteSnapshot

TTL_SECONDS = 5.0
MAX_SITES = 10_000


class SiteCache:
    """Snapshot per key for `ttl` seconds; `load` reads one from the database (None for an unknown key)."""

    def __init__(self, *, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[SiteSnapshot | None, float]] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> tuple[bool, SiteSnapshot | None]:
        """(True, snapshot) when the key is known and fresh, without reading the database; (False, None) otherwise."""
        entry = self._entries.get(key)
        if entry is not None and entry[1] > self._clock():
            return True, entry[0]
        return False, None

    def get(self, key: str, load: Callable[[str], SiteSnapshot | None]) -> SiteSnapshot | None:
        found, snapshot = self.cached(key)
        if found:
            return snapshot
        now = self._clock()
        snapshot = load(key)
        with self._lock:
            if len(self._entries) >= MAX_SITES:
                self._entries.clear()
            self._entries[key] = (snapshot, now + self.ttl)
        return snapshot

    def forget(self, key: str | None = None) -> None:
        """Drop one key (or all), so the next request reads the site again."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
