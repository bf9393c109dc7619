"""Choice sets of notifications."""

from __future__ import annotations

from enum import StrEnum


class DestinationKind(StrEnum):
    """Where messages go: a URL signed per Standard Webhooks, a Slack incoming webhook (Block Kit), or a person's
    address (`mailto:`) by email through the installation's SMTP server."""

    webhook = "webhook"
    slack = "slack"
    email = "email"


class MessageStatus(StrEnum):
    """Where one (event, destination) message stands: waiting or retrying, delivered, or given up (dead letter)."""

    pending = "pending"
    delivered = "delivered"
    dead = "dead"
