"""Users and API keys: create, authenticate, revoke."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.access.errors import (
    ApiKeyNotFound,
    InvalidApiKey,
    InvalidCredentials,
    PasswordRefused,
    UserChangeRefused,
    UserExists,
    UserNotFound,
)
from cxloop.access.models import ApiKey, User
from cxloop.access.passwords import hash_password, needs_rehash, verify_password
from cxloop.access.principal_cache import principals
from cxloop.access.schemas import Principal, UserUpdate
from cxloop.access.teams import (
    add_team_member,
    create_team,
    get_team,
    list_teams,
    remove_team_member,
    require_team,
    team_calendar,
    team_member_ids,
    team_reads,
    update_team,
    user_id_by_email,
    user_team_ids,
)
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError
from cxloop.core.hashing import new_token, token_digest

__all__ = [
    "add_team_member",
    "create_team",
    "get_team",
    "list_teams",
    "remove_team_member",
    "require_team",
    "team_calendar",
    "team_member_ids",
    "team_reads",
    "update_team",
    "user_id_by_email",
    "user_team_ids",
]

API_KEY_PREFIX = "cxk"
MIN_PASSWORD_LENGTH = 12  # as UserCreate and `cxloop users create` take it
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


class KeyCheck(NamedTuple):
    principal: Principal
    use_due: bool  # last_used_at is older than its granularity: call `record_key_use`


def check_api_key(session: Session, *, plain_key: str) -> KeyCheck:
    """The principal behind a bearer key, or InvalidApiKey when it is unknown or revoked. Only reads: the use is
    recorded by `record_key_use` in a write transaction (a read that turns into a write fails on SQLite when another
    writer commits in between)."""
    digest = token_digest(plain_key)
    key = session.scalar(select(ApiKey).where(ApiKey.digest == digest))
    if key is None or key.revoked_at is not None:
        raise InvalidApiKey("the API key is unknown or has been revoked")
    use_due = key.last_used_at is None or utcnow() - key.last_used_at > _LAST_USED_GRANULARITY
    principal = Principal(api_key_id=key.id, user_id=key.user_id, name=key.name, role=Role(key.role))
    principals.put(digest, principal)
    return KeyCheck(principal, use_due)


def record_key_use(session: Session, *, api_key_id: int) -> None:
    """Set the key's last_used_at to now."""
    session.execute(update(ApiKey).where(ApiKey.id == api_key_id).values(last_used_at=utcnow()))


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


def authenticate_user(session: Session, *, email: str, password: str) -> User:
    """The active user with this email and password (the web app's sign-in), or InvalidCredentials.

    A hash made by an older scheme or weaker parameters is replaced by a fresh one on success."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or user.password_hash is None:
        hash_password(password)  # as slow as a real check, so the answer time does not tell which emails exist
        raise InvalidCredentials("the email or password is wrong")
    if not verify_password(password, user.password_hash):
        raise InvalidCredentials("the email or password is wrong")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.id)).all()


def require_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"no user with id {user_id}")
    return user


def check_user_change(session: Session, user: User, data: UserUpdate, *, acting_user_id: int | None) -> None:
    """UserChangeRefused when the change would lock people out: deactivating yourself, or taking the admin role or
    the account away from the last active admin (nobody could manage users any more)."""
    if data.is_active is False and user.id == acting_user_id:
        raise UserChangeRefused(
            "you cannot deactivate yourself: ask another admin",
            errors=[FieldError("is_active", "you cannot deactivate yourself")],
        )
    leaves_admins = data.is_active is False or (data.role is not None and data.role != Role.admin)
    if leaves_admins and user.is_active and user.role == Role.admin.value and _active_admins(session) <= 1:
        field = "is_active" if data.is_active is False else "role"
        raise UserChangeRefused(
            f"{user.email} is the last active admin: make someone else an admin first",
            errors=[FieldError(field, "the last active admin must stay an active admin")],
        )


def _active_admins(session: Session) -> int:
    query = select(func.count()).select_from(User).where(User.role == Role.admin.value, User.is_active.is_(True))
    return int(session.scalar(query) or 0)


def update_user(session: Session, *, user_id: int, data: UserUpdate, acting_user_id: int | None = None) -> User:
    """Change a user's name, role, time zone or active flag; a deactivated user's API keys are revoked with it. Refused
    (UserChangeRefused) for yourself (`acting_user_id`) or the last active admin: `check_user_change`."""
    user = require_user(session, user_id=user_id)
    check_user_change(session, user, data, acting_user_id=acting_user_id)
    if data.name is not None:
        user.name = data.name
    if data.role is not None:
        user.role = data.role.value
    if data.timezone is not None:
        user.timezone = data.timezone or None
    if data.is_active is not None:
        user.is_active = data.is_active
        if not data.is_active:
            session.execute(
                update(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow())
            )
            principals.invalidate()
    session.flush()
    return user


def set_password(session: Session, *, user_id: int, password: str) -> User:
    """Give a user a new sign-in password (hashed with argon2id)."""
    user = require_user(session, user_id=user_id)
    user.password_hash = hash_password(password)
    session.flush()
    return user


def change_own_password(session: Session, *, user_id: int, current_password: str, new_password: str) -> User:
    """A user's new password, given their current one; PasswordRefused naming `current_password` or
    `new_password`."""
    user = require_user(session, user_id=user_id)
    if user.password_hash is None or not verify_password(current_password, user.password_hash):
        raise PasswordRefused(
            "the current password is wrong",
            errors=[FieldError("current_password", "is not your current password")],
        )
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise PasswordRefused(
            "the new password is too short",
            errors=[FieldError("new_password", f"must be at least {MIN_PASSWORD_LENGTH} characters")],
        )
    return set_password(session, user_id=user_id, password=new_password)


def first_admin(session: Session) -> User | None:
    """The active admin created first, or None."""
    query = select(User).where(User.role == Role.admin.value, User.is_active.is_(True)).order_by(User.id)
    return session.scalars(query.limit(1)).first()
