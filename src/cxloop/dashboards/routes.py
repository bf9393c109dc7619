"""/api/v1/dashboards: every key reads every dashboard (as every signed-in user does on the web); agents and above
change the dashboards of the teams their key's user leads or belongs to, admins any team's (dashboards.can_edit, the
web page's rule). Every change is audited as dashboard.created / updated / deleted, like the web page's."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from cxloop.access.deps import ActorDep, AgentDep, ViewerDep
from cxloop.access.schemas import Principal
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditActor
from cxloop.core.errors import FieldError, PermissionDenied
from cxloop.core.int_bounds import Id
from cxloop.dashboards import service as dashboards
from cxloop.dashboards.schemas import DashboardCreate, DashboardRead, DashboardUpdate
from cxloop.storage.deps import SessionDep

router = APIRouter(prefix="/dashboards", tags=["dashboards"])


def _check_team(session: Session, principal: Principal, team_id: int, field: str) -> None:
    """PermissionDenied unless the caller may change the team's dashboards (a team that does not exist passes: the
    service names it in a 422)."""
    editable = dashboards.editable_team_ids(session, user_id=principal.user_id, role=principal.role)
    if team_id not in editable and dashboards.team_exists(session, team_id=team_id):
        raise PermissionDenied(
            f"only team {team_id}'s lead and members (agents and above, through a key of their own) and admins "
            "change its dashboards",
            errors=[FieldError(field, "is not one of your teams")],
        )


def _record(
    session: Session,
    actor: AuditActor,
    action: AuditAction,
    dashboard_id: int,
    *,
    before: DashboardRead | None = None,
    after: DashboardRead | None = None,
) -> None:
    summaries = {name: dashboards.summary(board) for name, board in (("before", before), ("after", after)) if board}
    audit.record(session, actor=actor, action=action, target_id=dashboard_id, **summaries)


@router.get("", response_model=list[DashboardRead])
def list_dashboards(session: SessionDep, _: ViewerDep) -> list[DashboardRead]:
    """Every dashboard with its cards, by team then name."""
    return dashboards.list_dashboards(session)


@router.get("/{dashboard_id}", response_model=DashboardRead)
def get_dashboard(dashboard_id: Id, session: SessionDep, _: ViewerDep) -> DashboardRead:
    return dashboards.require_dashboard(session, dashboard_id=dashboard_id)


@router.post("", response_model=DashboardRead, status_code=status.HTTP_201_CREATED)
def create_dashboard(body: DashboardCreate, session: SessionDep, principal: AgentDep, actor: ActorDep) -> DashboardRead:
    """A dashboard of one of your teams with its cards in order; 422 naming an unknown team, card kind or filter."""
    _check_team(session, principal, body.team_id, "team_id")
    board = dashboards.create_dashboard(session, team_id=body.team_id, name=body.name, cards=body.cards)
    _record(session, actor, AuditAction.dashboard_created, board.id, after=board)
    return board


@router.patch("/{dashboard_id}", response_model=DashboardRead)
def update_dashboard(
    dashboard_id: Id, body: DashboardUpdate, session: SessionDep, principal: AgentDep, actor: ActorDep
) -> DashboardRead:
    """Change the name, move the dashboard to another of your teams, or replace its cards (in the order sent; a
    card sent with its `id` keeps it)."""
    before = dashboards.require_dashboard(session, dashboard_id=dashboard_id)
    _check_team(session, principal, before.team_id, "dashboard_id")
    if body.team_id is not None:
        _check_team(session, principal, body.team_id, "team_id")
    after = dashboards.update_dashboard(session, dashboard_id=dashboard_id, data=body)
    _record(session, actor, AuditAction.dashboard_updated, dashboard_id, before=before, after=after)
    return after


@router.delete("/{dashboard_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_dashboard(dashboard_id: Id, session: SessionDep, principal: AgentDep, actor: ActorDep) -> None:
    """Delete the dashboard and its cards."""
    before = dashboards.require_dashboard(session, dashboard_id=dashboard_id)
    _check_team(session, principal, before.team_id, "dashboard_id")
    dashboards.delete_dashboard(session, dashboard_id=dashboard_id)
    _record(session, actor, AuditAction.dashboard_deleted, dashboard_id, before=before)
