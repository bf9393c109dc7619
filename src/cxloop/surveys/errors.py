from cxloop.core.errors import Conflict, InvalidInput, NotFound


class SurveyNotFound(NotFound):
    """No survey with that id or key."""


class SurveyVersionNotFound(NotFound):
    """The survey has no version with that number."""


class SurveyConflict(Conflict):
    """A survey with that key exists already."""


class SurveyInUse(Conflict):
    """The survey has responses (or other records point at it), so it cannot be deleted."""


class InvalidSurvey(InvalidInput):
    """A survey definition breaks a rule; `errors` names each bad field."""
