from cxloop.core.errors import Conflict, NotFound


class PolicyNotFound(NotFound):
    """No contact policy with this key."""


class PolicyConflict(Conflict):
    """The key is taken, or the change does not fit the organisation's default policy."""
