from cxloop.core.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound


class ApiKeyNotFound(NotFound):
    """No API key with that id."""


class InvalidApiKey(AuthenticationFailed):
    """The bearer token is missing, unknown or revoked."""


class UserNotFound(NotFound):
    """No user with that id."""


class UserExists(Conflict):
    """A user with that email exists already."""


class InvalidCredentials(AuthenticationFailed):
    """The email and password do not belong to an active user (which of the two is wrong is not said)."""


class TeamNotFound(NotFound):
    """No team with that id or key."""


class TeamExists(Conflict):
    """A team with that key exists already."""


class UserChangeRefused(Conflict):
    """The change would lock the organisation out: deactivating yourself, or the last active admin leaving."""


class PasswordRefused(InvalidInput):
    """A new password that is too short, or a wrong current password; `errors` names the field."""
