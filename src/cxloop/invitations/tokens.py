"""Signed, expiring invitation tokens: `<id>.<expiry>.<signature>`, all URL-safe.

The signature is an HMAC-SHA256 over the id and the expiry with the server's secret key, so a token cannot be
guessed or altered, and an expired one is recognised as expired (410) without a database read. Unknown or
tampered tokens are one error (404): the caller learns nothing about which invitations exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cxloop.core.hashing import same_text

if TYPE_CHECKING:
    from cxloop.core.config import Settings

_SIGNATURE_BYTES = 16


class TokenInvalid(Exception):
    """The token was not made by this server (or was altered)."""


class TokenExpired(Exception):
    """The token is genuine but past its expiry."""

    def __init__(self, invitation_id: int) -> None:
        super().__init__(f"invitation {invitation_id} has expired")
        self.invitation_id = invitation_id


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


@dataclass(frozen=True)
class TokenSigner:
    """Signs and checks invitation tokens with one secret (Settings.secret_key)."""

    secret: bytes

    @classmethod
    def of(cls, settings: Settings) -> TokenSigner:
        """The installation's signer: the app, the worker and every sender sign with CXLOOP_SECRET_KEY."""
        return cls(settings.secret_key.get_secret_value().encode())

    def _signature(self, body: str, purpose: str) -> str:
        digest = hmac.new(self.secret, f"{purpose}:{body}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_SIGNATURE_BYTES]).rstrip(b"=").decode()

    def sign(self, invitation_id: int, expires_at: datetime, *, purpose: str = "invitation") -> str:
        """A token for an id. `purpose` separates token kinds: a token signed for one never verifies for another
        (e.g. 'response' for the hosted page's anonymous follow-up screens)."""
        body = f"{_b36(invitation_id)}.{_b36(int(expires_at.timestamp()))}"
        return f"{body}.{self._signature(body, purpose)}"

    def verify(self, token: str, *, now: datetime | None = None, purpose: str = "invitation") -> int:
        """The id of a genuine, unexpired token of this purpose (TokenInvalid / TokenExpired otherwise)."""
        parts = token.split(".")
        if len(parts) != 3 or len(token) > 100:
            raise TokenInvalid(token)
        body = f"{parts[0]}.{parts[1]}"
        if not same_text(parts[2], self._signature(body, purpose)):
            raise TokenInvalid(token)
        try:
            invitation_id, expiry = int(parts[0], 36), int(parts[1], 36)
        except ValueError as exc:  # a signed token always parses; defensive only
            raise TokenInvalid(token) from exc
        if (now or datetime.now(UTC)).timestamp() >= expiry:
            raise TokenExpired(invitation_id)
        return invitation_id
