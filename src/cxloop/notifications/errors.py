"""Errors of notifications."""

from __future__ import annotations

from cxloop.core.errors import NotFound


class DestinationNotFound(NotFound):
    """No destination has this id."""


class MessageNotFound(NotFound):
    """No message has this id."""
