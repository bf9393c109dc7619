from cxloop.core.errors import Conflict, InvalidInput, NotFound


class CaseNotFound(NotFound):
    """No case with that id (or none the caller's teams may see)."""


class TransitionRefused(Conflict):
    """The case's status does not allow the action (resolve a closed case), or another caller changed it first."""


class AssignmentRefused(InvalidInput):
    """The owner is not a member of the case's team."""


class RootCauseNotFound(NotFound):
    """No root cause with that id or key."""


class RootCauseExists(Conflict):
    """A root cause with that key exists already."""


class FollowUpTemplateNotFound(NotFound):
    """No follow-up template with that name (and channel) or id."""


class FollowUpTemplateExists(Conflict):
    """A template with that name and channel exists already."""


class FollowUpRefused(Conflict):
    """The follow-up may not be sent: consent, the address or the contact policy says no (the rule is named)."""


class ImprovementNotFound(NotFound):
    """No improvement with that id."""
