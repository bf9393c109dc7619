"""Password hashing for people who sign in: argon2id via argon2-cffi (its defaults are RFC 9106's low-memory
profile: 64 MiB, 3 passes, 4 lanes).

    stored = hash_password("correct horse battery")
    verify_password("correct horse battery", stored)   # True
    needs_rehash(stored)                               # True once the parameters above are raised

API keys are not hashed here: they are 192-bit random tokens, so a fast SHA-256 digest (core/hashing.py) cannot be
brute-forced and lets every API request be checked in microseconds. Passwords are chosen by people and need a slow,
memory-hard hash.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Hashes stored before argon2 (hashlib.scrypt, n=2**14, r=8, p=1): still accepted, and replaced at the next sign-in.
_SCRYPT = "scrypt$"


def hash_password(password: str) -> str:
    """An argon2id hash with a random salt, in the PHC string format (`$argon2id$v=19$m=...`)."""
    return _hasher.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored` (an argon2 hash, or a scrypt hash from before argon2)."""
    if stored.startswith(_SCRYPT):
        return _verify_scrypt(password, stored)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when `stored` was made by another scheme or weaker parameters: hash the password again on sign-in."""
    if stored.startswith(_SCRYPT):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)
