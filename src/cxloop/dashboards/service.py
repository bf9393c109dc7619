"""Dashboards and their cards: create, rename and delete a team's dashboards; add, change, move and remove cards.
Who may change one is `can_edit` (the team's lead and members above viewer, and admins); callers check it first.

    board = dashboards.create_dashboard(session, team_id=team.id, name="Support weekly")
    card = dashboards.add_card(session, dashboard_id=board.id, kind="trend", title="NPS", filters={"range": "90d"})
    dashboards.move_card(session, dashboard_id=board.id, card_id=card.id, offset=-1)   # up one place
    dashboards.arrange_cards(session, dashboard_id=board.id, card_ids=[7, 3, 5])      # a new order (drag and drop)
    dashboards.update_dashboard(session, dashboard_id=board.id, data=DashboardUpdate(cards=[...]))  # the API's write
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.dashboards.enums import CardKindName
from cxloop.dashboards.errors import CardNotFound, DashboardNotFound
from cxloop.dashboards.models import Dashboard, DashboardCard
from cxloop.dashboards.schemas import (
    MAX_CARDS,
    NAME_LENGTH,
    CardRead,
    CardWrite,
    DashboardRead,
    DashboardUpdate,
    FilterProblem,
    check_card_filters,
)


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[FieldError(field, message)])


def _name(value: str, field: str = "name") -> str:
    name = " ".join(value.split())
    if not name:
        raise _invalid(field, "give a name")
    if len(name) > NAME_LENGTH:
        raise _invalid(field, f"at most {NAME_LENGTH} characters")
    return name


def _filters(filters: Mapping[str, str], field: str = "") -> dict[str, str]:
    try:
        return check_card_filters(dict(filters))
    except FilterProblem as exc:
        raise _invalid(f"{field}{exc.name}", exc.reason) from None


def _kind(kind: str, field: str = "kind") -> str:
    if kind not in CardKindName.__members__:
        raise _invalid(field, f"'{kind[:40]}' is not one of: {', '.join(CardKindName)}")
    return kind


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


def _team(session: Session, team_id: int) -> int:
    if access.get_team(session, team_id=team_id) is None:
        raise _invalid("team_id", f"there is no team {team_id}")
    return team_id


def create_dashboard(session: Session, *, team_id: int, name: str, cards: Sequence[CardWrite] = ()) -> DashboardRead:
    """A new dashboard of the team with `cards` in order (InvalidInput naming `team_id` when there is no such team)."""
    now = utcnow()
    board = Dashboard(team_id=_team(session, team_id), name=_name(name), created_at=now, updated_at=now)
    session.add(board)
    session.flush()
    if cards:
        _replace_cards(session, board, cards)
    return _read(session, board)


def update_dashboard(session: Session, *, dashboard_id: int, data: DashboardUpdate) -> DashboardRead:
    """Change what `data` sends: the team, the name, and the whole list of cards in order. A card sent with its id
    keeps it (and is changed); a card not sent is removed; a card without an id is added."""
    board = _row(session, dashboard_id)
    if data.team_id is not None:
        board.team_id = _team(session, data.team_id)
    if data.name is not None:
        board.name = _name(data.name)
    if data.cards is not None:
        _replace_cards(session, board, data.cards)
    board.updated_at = utcnow()
    session.flush()
    return _read(session, board)


def _replace_cards(session: Session, board: Dashboard, cards: Sequence[CardWrite]) -> None:
    if len(cards) > MAX_CARDS:
        raise _invalid("cards", f"a dashboard holds at most {MAX_CARDS} cards: start another one")
    existing = {card.id: card for card in _cards(session, board.id)}
    kept: set[int] = set()
    for index, sent in enumerate(cards):
        if sent.id is not None and (sent.id not in existing or sent.id in kept):
            reason = "is sent twice" if sent.id in kept else f"is not a card of dashboard {board.id}"
            raise _invalid(f"cards.{index}.id", reason)
        if sent.id is not None:
            kept.add(sent.id)
    for card_id in existing.keys() - kept:
        session.delete(existing[card_id])
    session.flush()
    for position, sent in enumerate(cards):
        field = f"cards.{position}."
        card = existing[sent.id] if sent.id is not None else DashboardCard(dashboard_id=board.id)
        card.position = position
        card.kind = _kind(sent.kind, f"{field}kind")
        card.title = _name(sent.title, f"{field}title")
        card.filters = _filters(sent.filters, f"{field}filters.")
        session.add(card)
    session.flush()


def arrange_cards(session: Session, *, dashboard_id: int, card_ids: Sequence[int]) -> list[CardRead]:
    """Put the cards in the order of `card_ids`, which names every card of the dashboard once (InvalidInput naming
    `order` otherwise: a card added or removed meanwhile makes the order stale); the cards in their new order."""
    board = _row(session, dashboard_id)
    cards = {card.id: card for card in _cards(session, dashboard_id)}
    if sorted(card_ids) != sorted(cards):
        raise _invalid("order", "name every card of the dashboard once (reload the page: it changed meanwhile)")
    for position, card_id in enumerate(card_ids):
        cards[card_id].position = position
    board.updated_at = utcnow()
    session.flush()
    return _read(session, board).cards


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
    """A card at the end of the dashboard. InvalidInput naming `kind` for a name not in CardKindName."""
    board = _row(session, dashboard_id)
    count = session.scalar(select(func.count()).where(DashboardCard.dashboard_id == dashboard_id)) or 0
    if count >= MAX_CARDS:
        raise _invalid("kind", f"a dashboard holds at most {MAX_CARDS} cards: start another one")
    card = DashboardCard(
        dashboard_id=dashboard_id,
        position=count,
        kind=_kind(kind),
        title=_name(title, "title"),
        filters=_filters(filters),
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


def editable_team_ids(session: Session, *, user_id: int | None, role: Role) -> list[int]:
    """The teams whose dashboards the user may change: every team for an admin; for agents and analysts the teams
    they lead or belong to; none for a viewer, nor for an API key of no user below admin."""
    teams = access.list_teams(session)
    if role.includes(Role.admin):
        return [t.id for t in teams]
    if not role.includes(Role.agent) or user_id is None:
        return []
    mine = set(access.user_team_ids(session, user_id=user_id))
    return [t.id for t in teams if t.id in mine or t.lead_user_id == user_id]


def can_edit(session: Session, *, dashboard: DashboardRead, user_id: int | None, role: Role) -> bool:
    """Whether the user may change this dashboard (see `editable_team_ids`)."""
    return dashboard.team_id in editable_team_ids(session, user_id=user_id, role=role)


def summary(board: DashboardRead) -> dict[str, object]:
    """What the audit log keeps of a dashboard: its team, name and cards in order."""
    return {
        "team_id": board.team_id,
        "name": board.name,
        "cards": [{"kind": c.kind, "title": c.title, "filters": c.filters} for c in board.cards],
    }


def team_exists(session: Session, *, team_id: int) -> bool:
    return access.get_team(session, team_id=team_id) is not None
