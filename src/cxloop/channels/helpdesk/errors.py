from cxloop.core.errors import AuthenticationFailed, CxloopError


class MalformedWebhook(CxloopError):
    """The webhook body is not JSON or lacks a field we need; `errors` names each (HTTP 400, nothing stored)."""


class WebhookNotAuthentic(AuthenticationFailed):
    """The webhook is unsigned, wrongly signed, stale, or its endpoint has no secret configured (HTTP 401)."""
