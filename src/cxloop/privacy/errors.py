from cxloop.core.errors import InvalidInput, NotFound


class UnknownDataKind(NotFound):
    """No retention data kind has this name."""


class InvalidRetentionPolicy(InvalidInput):
    """A retention policy's keep period or action does not fit its data kind."""
