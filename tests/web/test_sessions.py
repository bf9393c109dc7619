"""Web sessions in the database: a token signs its user in until it expires, the user signs out or is deactivated;
only the token's digest is stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.schemas import UserUpdate
from cxloop.core.clock import utcnow
from cxloop.storage.database import Database
from cxloop.web import service as web_sessions
from cxloop.web.models import WebSession
from tests.web.conftest import make_user


def test_a_session_signs_its_user_in_until_sign_out(db: Database) -> None:
    make_user(db, Role.analyst)
    with db.unit_of_work() as session:
        user_id = access.list_users(session)[0].id
        token, row = web_sessions.start_session(session, user_id=user_id)
    with db.unit_of_work() as session:
        signed_in = web_sessions.session_user(session, token=token)
        assert signed_in is not None
        assert (signed_in.user_id, signed_in.role, signed_in.email) == (user_id, Role.analyst, "analyst@example.com")
        assert signed_in.csrf_token == row.csrf_token and len(signed_in.csrf_token) >= 40
        stored = session.scalars(select(WebSession.digest)).all()
        assert stored and token not in stored, "only the digest is stored"
        assert web_sessions.session_user(session, token=token + "x") is None
        assert web_sessions.end_session(session, token=token) is True
    with db.unit_of_work() as session:
        assert web_sessions.session_user(session, token=token) is None
        assert web_sessions.end_session(session, token=token) is False


def test_expired_sessions_and_deactivated_users_sign_nobody_in(db: Database) -> None:
    make_user(db, Role.viewer)
    started = utcnow() - web_sessions.SESSION_LIFETIME - timedelta(minutes=1)
    with db.unit_of_work() as session:
        user_id = access.list_users(session)[0].id
        old, _ = web_sessions.start_session(session, user_id=user_id, now=started)
        fresh, _ = web_sessions.start_session(session, user_id=user_id)
    with db.unit_of_work() as session:
        assert web_sessions.session_user(session, token=old) is None
        assert web_sessions.session_user(session, token=fresh) is not None
        assert web_sessions.forget_expired(session) == 1
        access.update_user(session, user_id=user_id, data=UserUpdate(is_active=False))
    with db.unit_of_work() as session:
        assert web_sessions.session_user(session, token=fresh) is None
        assert session.scalar(select(WebSession.id).where(WebSession.expires_at < utcnow())) is None
