"""Secrets: random tokens, their storage hashes, constant-time comparison (passwords: access/passwords.py)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(prefix: str, nbytes: int = 24) -> str:
    """A random URL-safe secret with a readable prefix, e.g. `cxk_...`."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def token_digest(token: str) -> str:
    """SHA-256 hex of a high-entropy token. Enough for random keys; never use it for passwords."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_text(presented: str, expected: str) -> bool:
    """Constant-time equality of a secret the caller presented (a signature, a token) and the one expected.

    `hmac.compare_digest` refuses str holding non-ASCII characters with a TypeError, which a forged header or path
    would otherwise turn into a server error; compared as UTF-8 bytes, such input is simply not equal."""
    return hmac.compare_digest(presented.encode(), expected.encode())
