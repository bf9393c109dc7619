from cxloop.core.errors import Gone, InvalidInput, NotFound, PermissionDenied


class UnknownSite(NotFound):
    """No widget site has this key (HTTP 404)."""


class OriginNotAllowed(PermissionDenied):
    """The page's origin is not among the site's allowed origins (HTTP 403)."""


class SiteNotFound(NotFound):
    """No widget site with that id (management API)."""


class PromptExpired(Gone):
    """The prompt or the response being continued is too old to answer (HTTP 410)."""


class InvalidAttachment(InvalidInput):
    """The attached file is not an image we accept (HTTP 422)."""


class PromptNotFound(NotFound):
    """The prompt token is not one this server made (or its rule is gone) (HTTP 404)."""


class NoFeedbackSurvey(NotFound):
    """The site has no survey for its feedback button (HTTP 404)."""
