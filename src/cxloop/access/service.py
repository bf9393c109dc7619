"""Users and API keys: create, authenticate, revoke."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.access.errors import ApiKeyNotFound, InvalidApiKey, UserExists, UserNotFound
from cxloop.access.models import ApiKey, User
from cxloop.access.principal_cache import principals
from cxloop.access.schemas import Principal, UserUpdate
from cxloop.core.clock import utcnow
from cxloop.core.hashing import hash_password, new_token, token_digest

API_KEY_PREFIX = "cxk"
# last_used_at is only rewritten when older than this, so authenticating is not a write on every request.
_LAST_USED_GRANULARITY = timedelta(minutes=5)


def create_api_key(session: Session, *, name: str, role: Role, user_id: int | None = None) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plain key, which is not stored and cannot be shown again."""
    plain = new_token(API_KEY_PREFIX)
    key = ApiKey(
        name=name,
        prefix=plain[:10],
        digest=token_digest(plain),
        role=role.value,
        user_id=user_id,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    return key, plain


def list_api_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


def revoke_api_key(session: Session, *, api_key_id: int) -> ApiKey:
    """Revoke a key at once; requests with it fail from then on."""
    key = session.get(ApiKey, api_key_id)
    if key is None:
        raise ApiKeyNotFound(f"no API key with id {api_key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    principals.invalidate()
    return key


def revoke_api_keys_named(session: Session, *, name: str) -> list[int]:
    """Revoke every active key called `name` (a key made again by a script replaces its earlier one); their ids."""
    keys = session.scalars(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))).all()
    now = utcnow()
    for key in keys:
        key.revoked_at = now
    session.flush()
    principals.invalidate()
    return [key.id for key in keys]


def cached_principal(*, plain_key: str) -> Principal | None:
    """The principal of a key authenticated in this process in the last few seconds (principal_cache.py), or None."""
    return principals.get(token_digest(plain_key))


def authenticate_api_key(session: Session, *, plain_key: str) -> Principal:
    """The principal behind a bearer key, or InvalidApiKey when it is unknown or revoked."""
    digest = token_digest(plain_key)
    key = session.scalar(select(ApiKey).where(ApiKey.digest == digest))
    if key is None or key.revoked_at is not None:
        raise InvalidApiKey("the API key is unknown or has been revoked")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_GRANULARITY:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    principal = Principal(api_key_id=key.id, user_id=key.user_id, name=key.name, role=Role(key.role))
    principals.put(digest, principal)
    return principal


def create_user(session: Session, *, email: str, role: Role, name: str = "", password: str | None = None) -> User:
    """Create a user; UserExists when the email is taken (emails compare case-insensitively)."""
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserExists(f"a user with email {email} exists already")
    user = User(
        email=email,
        name=name,
        role=role.value,
        password_hash=hash_password(password) if password else None,
        is_active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.id)).all()


def require_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"no user with id {user_id}")
    return user


def update_user(session: Session, *, user_id: int, data: UserUpdate) -> User:
    """Change a user's name, role or active flag; a deactivated user's API keys are revoked with it."""
    user = require_user(session, user_id=user_id)
    if data.name is not None:
        user.name = data.name
    if data.role is not None:
        user.role = data.role.value
    if data.is_active is not None:
        user.is_active = data.is_active
        if not data.is_active:
            session.execute(
                update(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow())
            )
            principals.invalidate()
    session.flush()
    return user
