"""Choice sets of the outbox."""

from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    """Where one (event, handler) delivery stands: waiting or retrying, handled, or given up (a dead letter)."""

    pending = "pending"
    done = "done"
    dead = "dead"
