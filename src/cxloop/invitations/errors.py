from cxloop.core.errors import Gone, InvalidInput, NotFound


class InvitationNotFound(NotFound):
    """No invitation with that id, or a token this server did not sign."""


class InvitationExpired(Gone):
    """The invitation's link has expired (HTTP 410)."""


class InvalidInvitation(InvalidInput):
    """The invitation request breaks a rule; `errors` names each field."""
