"""Teams: people who own cases together, their lead, members, working hours and holidays (re-exported by
access.service; docs/cases.md "People and teams")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cxloop.access.enums import Assignment
from cxloop.access.errors import TeamExists, TeamNotFound, UserNotFound
from cxloop.access.models import Team, TeamMember, User
from cxloop.access.schemas import TeamCreate, TeamRead, TeamUpdate
from cxloop.core.business_hours import Calendar, calendar
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError


def _check_users(session: Session, user_ids: Iterable[int], field: str) -> None:
    wanted = set(user_ids)
    found = set(session.scalars(select(User.id).where(User.id.in_(wanted))).all()) if wanted else set()
    if missing := sorted(wanted - found):
        raise UserNotFound(
            f"no user with id {missing[0]}",
            errors=[FieldError(field, f"no user with id {', '.join(map(str, missing))}")],
        )


def create_team(session: Session, *, data: TeamCreate) -> Team:
    """Create a team with its members; TeamExists when the key is taken, UserNotFound for an unknown user."""
    if session.scalar(select(Team.id).where(Team.key == data.key)) is not None:
        raise TeamExists(f"a team with key '{data.key}' exists already", errors=[FieldError("key", "is taken")])
    _check_users(session, [data.lead_user_id] if data.lead_user_id else [], "lead_user_id")
    _check_users(session, data.member_ids, "member_ids")
    team = Team(
        key=data.key,
        name=data.name,
        lead_user_id=data.lead_user_id,
        timezone=data.timezone,
        business_hours=data.business_hours,
        holidays=data.holidays,
        assignment=data.assignment.value,
        created_at=utcnow(),
    )
    session.add(team)
    session.flush()
    for user_id in sorted(set(data.member_ids)):
        add_team_member(session, team_id=team.id, user_id=user_id)
    return team


def get_team(session: Session, *, team_id: int | None = None, key: str | None = None) -> Team | None:
    if team_id is not None:
        return session.get(Team, team_id)
    return session.scalar(select(Team).where(Team.key == key)) if key is not None else None


def require_team(session: Session, *, team_id: int | None = None, key: str | None = None) -> Team:
    team = get_team(session, team_id=team_id, key=key)
    if team is None:
        raise TeamNotFound(f"no team {team_id if team_id is not None else repr(key)}")
    return team


def update_team(session: Session, *, team_id: int, data: TeamUpdate) -> Team:
    """Change the fields sent (`business_hours: null` sent means around the clock)."""
    team = require_team(session, team_id=team_id)
    sent = data.model_fields_set
    if "lead_user_id" in sent and data.lead_user_id is not None:
        _check_users(session, [data.lead_user_id], "lead_user_id")
    for name in ("name", "timezone", "holidays"):
        if name in sent and getattr(data, name) is not None:
            setattr(team, name, getattr(data, name))
    if "lead_user_id" in sent:
        team.lead_user_id = data.lead_user_id
    if "business_hours" in sent:
        team.business_hours = data.business_hours
    if "assignment" in sent and data.assignment is not None:
        team.assignment = data.assignment.value
    session.flush()
    return team


def list_teams(session: Session) -> Sequence[Team]:
    return session.scalars(select(Team).order_by(Team.id)).all()


def add_team_member(session: Session, *, team_id: int, user_id: int) -> None:
    """Make the user a member of the team (nothing happens when they are one already)."""
    require_team(session, team_id=team_id)
    _check_users(session, [user_id], "user_id")
    if session.get(TeamMember, (team_id, user_id)) is None:
        session.add(TeamMember(team_id=team_id, user_id=user_id, added_at=utcnow()))
        session.flush()


def remove_team_member(session: Session, *, team_id: int, user_id: int) -> None:
    require_team(session, team_id=team_id)
    session.execute(delete(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id))


def team_member_ids(session: Session, *, team_id: int, active_only: bool = True) -> list[int]:
    """The ids of the team's members (active users only, by default), in id order."""
    query = select(TeamMember.user_id).join(User, User.id == TeamMember.user_id).where(TeamMember.team_id == team_id)
    if active_only:
        query = query.where(User.is_active.is_(True))
    return list(session.scalars(query.order_by(TeamMember.user_id)).all())


def user_team_ids(session: Session, *, user_id: int) -> list[int]:
    """The teams a user belongs to, in id order."""
    query = select(TeamMember.team_id).where(TeamMember.user_id == user_id).order_by(TeamMember.team_id)
    return list(session.scalars(query).all())


def user_id_by_email(session: Session, *, email: str) -> int | None:
    """The active user with this email (compared case-insensitively), or None."""
    query = select(User.id).where(User.email == email.strip().lower(), User.is_active.is_(True))
    return session.scalar(query)


def team_calendar(team: Team) -> Calendar:
    """The team's working time (around the clock when it has no business hours)."""
    return calendar(team.timezone, team.business_hours, team.holidays)


def team_reads(session: Session, teams: Sequence[Team]) -> list[TeamRead]:
    ids = [t.id for t in teams]
    members: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        rows = session.execute(
            select(TeamMember.team_id, TeamMember.user_id)
            .where(TeamMember.team_id.in_(ids))
            .order_by(TeamMember.user_id)
        )
        for team_id, user_id in rows:
            members[team_id].append(user_id)
    return [
        TeamRead(
            id=t.id,
            key=t.key,
            name=t.name,
            lead_user_id=t.lead_user_id,
            timezone=t.timezone,
            business_hours=t.business_hours,
            holidays=list(t.holidays or []),
            assignment=Assignment(t.assignment),
            member_ids=members[t.id],
            created_at=t.created_at,
        )
        for t in teams
    ]
