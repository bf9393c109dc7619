"""What an SMS gateway client raises: delivery tries again later after SmsUnavailable and gives up after SmsRejected.

One client ships (twilio.TwilioClient, which also serves providers that copy Twilio's REST API). Another provider
needs a class with the same `send(*, to, body) -> message id`, built from Settings where `channels.delivery` builds
the client.
"""

from __future__ import annotations


class SmsRejected(Exception):
    """The provider refused the message for good (bad number, unsubscribed recipient, ...)."""


class SmsUnavailable(Exception):
    """The message could not be handed over now (no connection, rate limit, provider error); retry later."""
