"""What this server process already answered for an occurrence (a rule, a customer, a day).

An identified customer's page views ask again and again; once their invitation for today's occurrence exists, the
answer cannot change until tomorrow (the occurrence key holds the date). Remembering it in memory answers those
asks with no database work. A process that has not seen the occurrence reads the invitation once.
"""

from __future__ import annotations

import threading

MAX_KEYS = 200_000


class OccurrenceMemo:
    """occurrence key -> the reason a repeat ask is refused ('already_prompted', or the suppression reason)."""

    def __init__(self, *, max_keys: int = MAX_KEYS) -> None:
        self._max_keys = max_keys
        self._reasons: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        return self._reasons.get(key)

    def remember(self, key: str, reason: str) -> None:
        with self._lock:
            if len(self._reasons) >= self._max_keys:
                self._reasons.clear()  # yesterday's keys go with the rest; today's are read again once
            self._reasons[key] = reason
