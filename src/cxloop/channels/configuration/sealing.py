"""Channel secrets at rest: Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under a key derived from
CXLOOP_SECRET_KEY with HKDF-SHA256, so the database alone never gives a secret away. Changing the secret key makes
the stored secrets unreadable: they are then treated as not set, and the settings page asks for them again."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"cxloop channel settings v1"  # a key of its own, apart from every other use of the secret key


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, value: str) -> str:
    """The value encrypted and authenticated, as text."""
    return _fernet(secret_key).encrypt(value.encode()).decode("ascii")


def unseal(secret_key: str, token: str) -> str | None:
    """The value back; None when it was sealed under another secret key (or altered)."""
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None
