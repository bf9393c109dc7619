from cxloop.core.errors import Conflict, NotFound


class TriggerRuleNotFound(NotFound):
    """No trigger rule with that id."""


class TriggerRuleKeyTaken(Conflict):
    """Another trigger rule has that key."""
