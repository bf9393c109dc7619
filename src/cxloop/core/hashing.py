"""Secrets: random tokens and their storage hashes (passwords are hashed in access/passwords.py)."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str, nbytes: int = 24) -> str:
    """A random URL-safe secret with a readable prefix, e.g. `cxk_...`."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def token_digest(token: str) -> str:
    """SHA-256 hex of a high-entropy token. Enough for random keys; never use it for passwords."""
    return hashlib.sha256(token.encode()).hexdigest()
