"""Secrets: random tokens, their storage hashes, and password hashing."""

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


def hash_password(password: str) -> str:
    """scrypt hash with a random salt, as `scrypt$<salt hex>$<hash hex>`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches a hash made by `hash_password`."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)


def same_text(presented: str, expected: str) -> bool:
    """Constant-time equality of a secret the caller presented (a signature, a token) and the one expected.

    `hmac.compare_digest` refuses str holding non-ASCII characters with a TypeError, which a forged header or path
    would otherwise turn into a server error; compared as UTF-8 bytes, such input is simply not equal."""
    return hmac.compare_digest(presented.encode(), expected.encode())
