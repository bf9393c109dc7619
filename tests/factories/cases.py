"""Users, teams and cases built through the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.models import Team, User
from cxloop.access.schemas import TeamCreate
from cxloop.cases import service as cases
from cxloop.cases.enums import TriggerSource
from cxloop.cases.models import Case
from cxloop.cases.schemas import SYSTEM, CaseOpen, TriggerRef

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def make_user(session: Session, *, role: Role = Role.agent, **overrides: Any) -> User:
    overrides.setdefault("email", f"agent{_next()}@example.com")
    return access.create_user(session, role=role, **overrides)


def make_team(session: Session, *, members: list[User] | None = None, **overrides: Any) -> Team:
    overrides.setdefault("key", f"team{_next()}")
    overrides.setdefault("name", overrides["key"].title())
    return access.create_team(session, data=TeamCreate(member_ids=[u.id for u in members or []], **overrides))


def feedback(*ids: int) -> list[TriggerRef]:
    return [TriggerRef(source=TriggerSource.feedback, id=i) for i in ids]


def open_case(session: Session, customer_id: int, *trigger_ids: int, **overrides: Any) -> tuple[Case, bool]:
    """A case for feedback items `trigger_ids` of the customer (ids need not exist: cases keep ids only)."""
    data = CaseOpen(customer_id=customer_id, triggers=feedback(*trigger_ids), **overrides)
    return cases.open_case(session, data=data, actor=SYSTEM)
