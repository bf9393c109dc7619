from cxloop.core.errors import AuthenticationFailed, NotFound


class ApiKeyNotFound(NotFound):
    """No API key with that id."""


class InvalidApiKey(AuthenticationFailed):
    """The bearer token is missing, unknown or revoked."""
