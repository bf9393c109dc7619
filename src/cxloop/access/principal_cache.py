"""A short-lived, per-process memory of authenticated API keys, so ingestion does not pay a lookup per request.

A key revoked (or its user deactivated) in this process is forgotten at once; other server processes notice within
`TTL_SECONDS` (docs/api.md, "Authentication").
"""

from __future__ import annotations

import time

from cxloop.access.schemas import Principal

TTL_SECONDS = 5.0
MAX_ENTRIES = 4096


class PrincipalCache:
    """digest -> principal, valid for TTL_SECONDS and until the next revocation in this process."""

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[Principal, float, int]] = {}
        self._generation = 0

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        principal, expires, generation = entry
        if generation != self._generation or expires < time.monotonic():
            del self._entries[digest]
            return None
        return principal

    def put(self, digest: str, principal: Principal) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = (principal, time.monotonic() + self.ttl, self._generation)

    def invalidate(self) -> None:
        """Forget every entry (a key was revoked or a user deactivated)."""
        self._generation += 1
        self._entries.clear()


principals = PrincipalCache()
