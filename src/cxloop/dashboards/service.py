"""Dashboards and their cards: create, rename and delete a team's dashboards; add, change, move and remove cards.
Who may change one is `can_edit` (the team's lead and members above viewer, and admins); callers check it first.

    board = dashboards.create_dashboard(session, team_id=team.id, name="Support weekly")
    card = dashboards.add_card(session, dashboard_id=board.id, kind="trend", title="NPS", filters={"range": "90d"})
    dashboards.move_card(session, dashboard_id=board.id, card_id=card.id, offset=-1)   # up one place
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.dashboards.errors import CardNotFound, DashboardNotFound
from cxloop.dashboards.models import Dashboard, DashboardCard
from cxloop.dashboards.schemas import CardRead, DashboardRead

NAME_LENGTH = 120
MAX_CARDS = 24  # a dashboard longer than this is two dashboards
MAX_FILTERS = 12
FILTER_LENGTH = 120


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[FieldError(field, message)])


def _name(value: str, field: str = "name") -> str:
    name = " ".join(value.split())
    if not name:
        raise _invalid(field, "give a name")
    if len(name) > NAME_LENGTH:
        raise _invalid(field, f"at most {NAME_LENGTH} characters")
    return name


def _filters(filters: Mapping[str, str]) -> dict[str, str]:
    kept = {k: v.strip() for k, v in filters.items() if v and v.strip()}
    if len(kept) > MAX_FILTERS:
        raise _invalid("filters", f"at most {MAX_FILTERS} filters")
    for key, value in kept.items():
        if len(key) > 40 or len(value) > FILTER_LENGTH:
            raise _invalid(key, f"at most {FILTER_LENGTH} characters")
    return kept


def _row(session: Session, dashboard_id: int) -> Dashboard:
    board = session.get(Dashboard, dashboard_id)
    if board is None:
        raise DashboardNotFound(f"no dashboard {dashboard_id}")
    return board


def _cards(session: Session, dashboard_id: int) -> list[DashboardCard]:
    query = select(DashboardCard).where(DashboardCard.dashboard_id == dashboard_id).order_by(DashboardCard.position)
    return list(session.scalars(query))


def _card_read(card: DashboardCard) -> CardRead:
    return CardRead(id=card.id, position=card.position, kind=card.kind, title=card.title, filters=dict(card.filters))


def _read(session: Session, board: Dashboard) -> DashboardRead:
    cards = [_card_read(c) for c in _cards(session, board.id)]
    return DashboardRead(
        id=board.id,
        team_id=board.team_id,
        name=board.name,
        created_at=board.created_at,
        updated_at=board.updated_at,
        cards=cards,
    )


def list_dashboards(session: Session) -> list[DashboardRead]:
    """Every dashboard, by team then name (without their cards' contents: each `cards` list is complete)."""
    boards = session.scalars(select(Dashboard).order_by(Dashboard.team_id, Dashboard.name, Dashboard.id))
    return [_read(session, b) for b in boards]


def require_dashboard(session: Session, *, dashboard_id: int) -> DashboardRead:
    """The dashboard with its cards in order, or DashboardNotFound."""
    return _read(session, _row(session, dashboard_id))


def create_dashboard(session: Session, *, team_id: int, name: str) -> DashboardRead:
    """A new, empty dashboard of the team (InvalidInput naming `team_id` when there is no such team)."""
    if access.get_team(session, team_id=team_id) is None:
        raise _invalid("team_id", f"there is no team {team_id}")
    now = utcnow()
    board = Dashboard(team_id=team_id, name=_name(name), created_at=now, updated_at=now)
    session.add(board)
    session.flush()
    return _read(session, board)


def rename_dashboard(session: Session, *, dashboard_id: int, name: str) -> DashboardRead:
    board = _row(session, dashboard_id)
    board.name = _name(name)
    board.updated_at = utcnow()
    session.flush()
    return _read(session, board)


def delete_dashboard(session: Session, *, dashboard_id: int) -> DashboardRead:
    """Delete the dashboard and its cards; what it was."""
    board = _row(session, dashboard_id)
    before = _read(session, board)
    session.execute(delete(DashboardCard).where(DashboardCard.dashboard_id == dashboard_id))
    session.delete(board)
    session.flush()
    return before


def add_card(session: Session, *, dashboard_id: int, kind: str, title: str, filters: Mapping[str, str]) -> CardRead:
    """A card at the end of the dashboard. The kind is the caller's to check (web/cards.py holds the registry)."""
    board = _row(session, dashboard_id)
    count = session.scalar(select(func.count()).where(DashboardCard.dashboard_id == dashboard_id)) or 0
    if count >= MAX_CARDS:
        raise _invalid("kind", f"a dashboard holds at most {MAX_CARDS} cards: start another one")
    if not kind or len(kind) > 40:
        raise _invalid("kind", "give a card kind")
    card = DashboardCard(
        dashboard_id=dashboard_id, position=count, kind=kind, title=_name(title, "title"), filters=_filters(filters)
    )
    session.add(card)
    board.updated_at = utcnow()
    session.flush()
    return _card_read(card)


def _card(session: Session, dashboard_id: int, card_id: int) -> DashboardCard:
    card = session.get(DashboardCard, card_id)
    if card is None or card.dashboard_id != dashboard_id:
        raise CardNotFound(f"no card {card_id} on dashboard {dashboard_id}")
    return card


def update_card(
    session: Session, *, dashboard_id: int, card_id: int, title: str, filters: Mapping[str, str]
) -> CardRead:
    """Rename a card and replace its filters."""
    card = _card(session, dashboard_id, card_id)
    card.title = _name(title, "title")
    card.filters = _filters(filters)
    _row(session, dashboard_id).updated_at = utcnow()
    session.flush()
    return _card_read(card)


def remove_card(session: Session, *, dashboard_id: int, card_id: int) -> CardRead:
    """Remove a card; the ones after it move up, so positions stay 0, 1, 2, ..."""
    card = _card(session, dashboard_id, card_id)
    removed = _card_read(card)
    session.delete(card)
    session.flush()
    for position, rest in enumerate(_cards(session, dashboard_id)):
        rest.position = position
    _row(session, dashboard_id).updated_at = utcnow()
    session.flush()
    return removed


def move_card(session: Session, *, dashboard_id: int, card_id: int, offset: int) -> list[CardRead]:
    """Move a card `offset` places (-1: up, 1: down), kept within the dashboard; the cards in their new order."""
    cards = _cards(session, dashboard_id)
    card = _card(session, dashboard_id, card_id)
    index = cards.index(card)
    target = min(max(index + offset, 0), len(cards) - 1)
    cards.insert(target, cards.pop(index))
    for position, each in enumerate(cards):
        each.position = position
    _row(session, dashboard_id).updated_at = utcnow()
    session.flush()
    return _read(session, _row(session, dashboard_id)).cards


def editable_team_ids(session: Session, *, user_id: int, role: Role) -> list[int]:
    """The teams whose dashboards the user may change: every team for an admin; for agents and analysts the teams
    they lead or belong to; none for a viewer."""
    teams = access.list_teams(session)
    if role.includes(Role.admin):
        return [t.id for t in teams]
    if not role.includes(Role.agent):
        return []
    mine = set(access.user_team_ids(session, user_id=user_id))
    return [t.id for t in teams if t.id in mine or t.lead_user_id == user_id]


def can_edit(session: Session, *, dashboard: DashboardRead, user_id: int, role: Role) -> bool:
    """Whether the user may change this dashboard (see `editable_team_ids`)."""
    return dashboard.team_id in editable_team_ids(session, user_id=user_id, role=role)
