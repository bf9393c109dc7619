"""The audit entries of changes to users and teams, in the caller's transaction: one recipe each, used by the API
(access/routes.py) and the web app's settings (web/settings_page.py, web/settings_teams.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cxloop.access.schemas import TeamRead, UserRead
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditActor


def record_user_change(session: Session, *, actor: AuditActor, before: UserRead, after: UserRead) -> None:
    """A user's name, role or active flag changed: `user.role_changed` when the role did, else `user.updated`."""
    action = AuditAction.user_role_changed if after.role != before.role else AuditAction.user_updated
    audit.record(
        session, actor=actor, action=action, target_id=after.id, before=before.model_dump(), after=after.model_dump()
    )


def record_team_change(session: Session, *, actor: AuditActor, before: TeamRead, after: TeamRead) -> None:
    """A team's change (its members decide whose cases an agent sees): the fields that changed."""
    audit.record(
        session,
        actor=actor,
        action=AuditAction.team_updated,
        target_id=after.id,
        before=before.model_dump(),
        after=after.model_dump(),
    )
