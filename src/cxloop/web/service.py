"""Web sessions: sign in (a session row and the token for the cookie), look a token up, sign out (the row is
deleted, so the token is dead at once), and forget expired rows. Framework-free: web/auth.py is the HTTP side.

    token, session_row = start_session(session, user_id=user.id)   # the cookie's value; shown nowhere else
    signed_in = session_user(session, token=token)                 # None once expired, signed out or deactivated
    end_session(session, token=token)
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.errors import UserNotFound
from cxloop.core.clock import utcnow
from cxloop.web.models import WebSession

# A session lasts a working fortnight from sign-in; signing out ends it at once.
SESSION_LIFETIME = timedelta(days=14)


@dataclass(frozen=True)
class SignedIn:
    """The person behind a session cookie, and the CSRF token their forms must send back."""

    user_id: int
    email: str
    name: str
    role: Role
    csrf_token: str
    expires_at: datetime
    timezone: str | None = None  # their own IANA zone; None: the organisation's (web/zones.py)

    @property
    def display_name(self) -> str:
        return self.name or self.email


def new_token() -> str:
    """A random token (256 bits) for a cookie or a form."""
    return secrets.token_urlsafe(32)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, *, user_id: int, now: datetime | None = None) -> tuple[str, WebSession]:
    """A new session for the user: (the token for the cookie, the row)."""
    now = now or utcnow()
    token = new_token()
    row = WebSession(
        digest=_digest(token),
        user_id=user_id,
        csrf_token=new_token(),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    session.flush()
    return token, row


def session_user(session: Session, *, token: str, now: datetime | None = None) -> SignedIn | None:
    """Who the token signs in: None when unknown, expired, or the user is gone or deactivated."""
    if not token or len(token) > 128:
        return None
    row = session.scalar(select(WebSession).where(WebSession.digest == _digest(token)))
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    try:
        user = access.require_user(session, user_id=row.user_id)
    except UserNotFound:
        return None
    if not user.is_active:
        return None
    return SignedIn(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        csrf_token=row.csrf_token,
        expires_at=row.expires_at,
        timezone=user.timezone,
    )


def end_session(session: Session, *, token: str) -> bool:
    """Sign out: the session's row is deleted, so its cookie signs nobody in any more. False when there was none."""
    result = session.execute(delete(WebSession).where(WebSession.digest == _digest(token)))
    return bool(getattr(result, "rowcount", 0))


def end_other_sessions(session: Session, *, user_id: int, token: str) -> int:
    """Sign the user out everywhere but the session of `token` (after a password change); how many ended."""
    query = delete(WebSession).where(WebSession.user_id == user_id, WebSession.digest != _digest(token))
    return int(getattr(session.execute(query), "rowcount", 0))


def forget_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete sessions past their expiry; how many."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0))
