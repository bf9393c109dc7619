"""Choice sets of notifications."""

from __future__ import annotations

from enum import StrEnum


class DestinationKind(StrEnum):
    """Where messages go: a URL signed per Standard Webhooks, or a Slack incoming webhook (Block Kit)."""

    webhook = "webhook"
    slack = "slack"


class MessageStatus(StrEnum):
    """Where one (event, destination) message stands: waiting or retrying, delivered, or given up (dead letter)."""

    pending = "pending"
    delivered = "delivered"
    dead = "dead"
