"""The error of a webhook whose payload cannot be used, shared by the email and SMS webhooks."""

from __future__ import annotations

from cxloop.core.errors import CxloopError


class MalformedWebhook(CxloopError):
    """The webhook's payload cannot be used (HTTP 400); `errors` names each bad field."""
