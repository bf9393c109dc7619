"""The SMS provider interface: what delivery needs from any SMS gateway.

One implementation ships (twilio.TwilioClient, which also serves providers that copy Twilio's REST API). Another
provider needs a class with the same `send`, built from Settings where `channels.delivery` builds the client.
"""

from __future__ import annotations

from typing import Protocol


class SmsRejected(Exception):
    """The provider refused the message for good (bad number, unsubscribed recipient, ...)."""


class SmsUnavailable(Exception):
    """The message could not be handed over now (no connection, rate limit, provider error); retry later."""


class SmsProvider(Protocol):
    def send(self, *, to: str, body: str) -> str:
        """Send one text message; the provider's message id. Raises SmsRejected or SmsUnavailable."""
        ...
