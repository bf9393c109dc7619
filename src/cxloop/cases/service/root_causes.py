"""The editable list of root-cause categories (docs/cases.md "Root causes")."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.cases.errors import RootCauseExists, RootCauseNotFound
from cxloop.cases.models import RootCause
from cxloop.cases.schemas import RootCauseCreate, RootCauseUpdate
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput


def list_root_causes(session: Session, *, active_only: bool = False) -> Sequence[RootCause]:
    query = select(RootCause).order_by(RootCause.name, RootCause.id)
    return session.scalars(query.where(RootCause.is_active.is_(True)) if active_only else query).all()


def create_root_cause(session: Session, *, data: RootCauseCreate) -> RootCause:
    if session.scalar(select(RootCause.id).where(RootCause.key == data.key)) is not None:
        raise RootCauseExists(f"a root cause '{data.key}' exists already", errors=[FieldError("key", "is taken")])
    cause = RootCause(key=data.key, name=data.name, is_active=True, created_at=utcnow())
    session.add(cause)
    session.flush()
    return cause


def update_root_cause(session: Session, *, root_cause_id: int, data: RootCauseUpdate) -> RootCause:
    """Rename or retire a category (retired ones stay on the cases filed under them)."""
    cause = session.get(RootCause, root_cause_id)
    if cause is None:
        raise RootCauseNotFound(f"no root cause {root_cause_id}")
    if data.name is not None:
        cause.name = data.name
    if data.is_active is not None:
        cause.is_active = data.is_active
    session.flush()
    return cause


def require_root_cause(session: Session, *, key: str) -> RootCause:
    """The active category with this key; 422 naming `root_cause` otherwise (it is always a field of a body)."""
    cause = session.scalar(select(RootCause).where(RootCause.key == key, RootCause.is_active.is_(True)))
    if cause is None:
        raise InvalidInput(
            f"no root cause '{key}'", errors=[FieldError("root_cause", f"'{key}' is not an active root cause")]
        )
    return cause
