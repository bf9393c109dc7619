"""HTTP basic-auth credentials, for webhooks of providers that can only put credentials in the URL they call."""

from __future__ import annotations

import base64
import binascii


def credentials(authorization: str) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic ...` header; None for another scheme or a malformed value."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None
