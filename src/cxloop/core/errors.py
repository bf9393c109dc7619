"""Base errors. Domains subclass these; the API maps each base to one HTTP status."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    """One bad field: a dotted/indexed location and a plain-words reason."""

    field: str
    message: str


class CxloopError(Exception):
    """Root of every error cxloop raises on purpose."""

    def __init__(self, message: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = errors or []


class NotFound(CxloopError):
    """The thing asked for does not exist (HTTP 404)."""


class Gone(CxloopError):
    """The thing existed but is no longer usable, e.g. an expired invitation link (HTTP 410)."""


class Conflict(CxloopError):
    """The request clashes with what is stored (HTTP 409)."""


class InvalidInput(CxloopError):
    """The input is malformed or breaks a rule; `errors` names each field (HTTP 422)."""


class PermissionDenied(CxloopError):
    """The caller is known but may not do this (HTTP 403)."""


class AuthenticationFailed(CxloopError):
    """The caller could not be identified (HTTP 401)."""


def http_status(exc: CxloopError) -> int:
    """The HTTP status of an error kind (400 for any other CxloopError)."""
    statuses: tuple[tuple[type[CxloopError], int], ...] = (
        (NotFound, 404),
        (Gone, 410),
        (Conflict, 409),
        (InvalidInput, 422),
        (PermissionDenied, 403),
        (AuthenticationFailed, 401),
    )
    return next((code for kind, code in statuses if isinstance(exc, kind)), 400)


@dataclass
class RowError:
    """A bad input row in a batch or file: its 1-based line (or index) and the reasons."""

    line: int
    errors: list[FieldError] = field(default_factory=list)
