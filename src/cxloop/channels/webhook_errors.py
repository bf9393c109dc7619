"""Errors of the email and SMS webhooks: who is calling is checked first (401), then the payload (400/422)."""

from __future__ import annotations

from cxloop.core.errors import AuthenticationFailed, CxloopError, InvalidInput


class MalformedWebhook(CxloopError):
    """The webhook's payload cannot be used (HTTP 400); `errors` names each bad field."""


class UnusableNotification(InvalidInput):
    """A signed notification whose content cannot be used (HTTP 422); `errors` names each bad field."""


class WebhookNotAuthentic(AuthenticationFailed):
    """The request is unsigned, wrongly signed, stale, replayed, or its provider is not set up (HTTP 401)."""
