from cxloop.core.errors import Conflict, InvalidInput, NotFound


class ResponseNotFound(NotFound):
    """No response with that id."""


class FeedbackNotFound(NotFound):
    """No feedback item with that id."""


class UnknownSurvey(NotFound):
    """A response names a survey key that does not exist; `errors` names each item's `survey` field."""


class InvalidResponses(InvalidInput):
    """One or more responses break a rule; `errors` names every bad field (`items.3.answers.q1`)."""


class InvalidFeedback(InvalidInput):
    """One or more feedback items break a rule; `errors` names every bad field."""


class SurveyGone(Conflict):
    """A survey was deleted while a batch answering it was being stored (409; nothing was stored)."""
