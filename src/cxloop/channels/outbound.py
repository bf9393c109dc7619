"""What a channel's sender is, and how senders get into the channel registry (governance.channels).

A sender is called inside the short claiming transaction with a Letter (everything already read from the database)
and composes the message without any I/O; it returns the exchange, a function that hands the message over with no
transaction open and returns the provider's id for it (Message-ID, SMS sid). Refusals come out as two kinds:
DeliveryRefused (for good: unknown recipient, channel not configured) and DeliveryPostponed (may pass: server down).
`channels.delivery` runs the claim, the exchange and the record through jobs.leases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from cxloop.branding.service import NO_BRAND, Brand
from cxloop.collection.enums import Channel
from cxloop.core.config import Settings
from cxloop.governance.channels import registry
from cxloop.jobs.leases import SendPostponed


class DeliveryPostponed(SendPostponed):
    """Sending failed for a reason that may pass; the invitation stays due and the send can be retried."""


class DeliveryRefused(Exception):
    """The channel refused the message for good, or is not configured: the invitation fails with this reason."""


@dataclass(frozen=True)
class Letter:
    """Everything a sender needs to compose one invitation (or its reminder), resolved from the database in the
    claiming transaction: plain values, so nothing a sender holds can reach back to the database."""

    invitation_id: int
    definition: dict[str, Any]  # the survey version's
    default_locale: str  # the survey's
    locale: str | None  # the invitation's, else the customer's
    address: str  # the customer's address on this channel (checked present)
    name: str | None  # the customer's
    survey_url: str
    unsubscribe_url: str  # names the purpose
    purpose: str  # why it is sent (governance.purposes): the consent it needs and what its unsubscribe link stops
    reminder: bool
    settings: Settings
    now: datetime
    brand: Brand = NO_BRAND  # who is asking: the organisation's name, sender name, colour and logo


Exchange = Callable[[], str]


class Sender(Protocol):
    def __call__(self, letter: Letter) -> Exchange:
        """Compose the message (no I/O); the exchange that sends it. Raises DeliveryRefused when it cannot be."""
        ...


def register_senders() -> None:
    """Attach the shipped channels' senders to the channel registry (start-up; idempotent)."""
    from cxloop.channels.email import sender as email  # noqa: PLC0415 - start-up only, keeps this module light
    from cxloop.channels.sms import sender as sms  # noqa: PLC0415

    registry.attach_sender(Channel.email, email.prepare)
    registry.attach_sender(Channel.sms, sms.prepare)


def sender_of(channel: str) -> Sender | None:
    """The sender registered for a channel; None for a channel nobody sends (link, widget) or none registered."""
    spec = registry.get(channel)
    return None if spec is None else cast(Sender | None, spec.sender)
