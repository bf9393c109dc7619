from cxloop.core.errors import Conflict, NotFound


class JourneyNotFound(NotFound):
    """No journey with that id or key."""


class StageNotFound(NotFound):
    """No stage with that id or key."""


class TouchpointNotFound(NotFound):
    """No touchpoint with that id or key."""


class JourneyConflict(Conflict):
    """A journey, stage or touchpoint with that key exists already."""
