"""Failed sign-ins are sampled, so someone guessing keys cannot flood the audit table.

Per server process: at most one entry per client address per WINDOW_SECONDS, and at most GLOBAL_PER_WINDOW entries
in all per window. Attempts left out are counted, and the next entry for that address says how many there were
(`attempts`), so the log still shows the scale of an attack. Memory is bounded: the per-address map is cleared when
it reaches MAX_ADDRESSES.
"""

from __future__ import annotations

import threading
import time

WINDOW_SECONDS = 60.0
GLOBAL_PER_WINDOW = 30
MAX_ADDRESSES = 4096


class FailedSignInSampler:
    """Decides which failed sign-ins are recorded; `admit(address)` is the number of attempts the entry stands for
    (this one and those skipped since the last entry for the address), or 0 to skip it."""

    def __init__(self, *, window: float = WINDOW_SECONDS, per_window: int = GLOBAL_PER_WINDOW) -> None:
        self.window = window
        self.per_window = per_window
        self._lock = threading.Lock()
        self._last: dict[str, tuple[float, int]] = {}  # address -> (time of its last entry, attempts skipped since)
        self._window_start = 0.0
        self._in_window = 0

    def admit(self, address: str, *, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            if now - self._window_start >= self.window:
                self._window_start, self._in_window = now, 0
            last, skipped = self._last.get(address, (None, 0))
            if (last is not None and now - last < self.window) or self._in_window >= self.per_window:
                self._remember(address, last if last is not None else now - self.window, skipped + 1)
                return 0
            self._in_window += 1
            self._remember(address, now, 0)
            return skipped + 1

    def _remember(self, address: str, at: float, skipped: int) -> None:
        if address not in self._last and len(self._last) >= MAX_ADDRESSES:
            self._last.clear()
        self._last[address] = (at, skipped)


failed_sign_ins = FailedSignInSampler()
