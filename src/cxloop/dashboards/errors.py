from cxloop.core.errors import NotFound


class DashboardNotFound(NotFound):
    """No dashboard with that id."""


class CardNotFound(NotFound):
    """No card with that id on that dashboard."""
