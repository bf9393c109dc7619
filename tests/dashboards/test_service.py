"""The dashboards service on both databases: who may edit, the card limit, positions kept 0..n-1, bad input named."""

from __future__ import annotations

import pytest

from cxloop.access.enums import Role
from cxloop.core.errors import InvalidInput
from cxloop.dashboards import service as dashboards
from cxloop.dashboards.errors import CardNotFound
from cxloop.storage.database import Database
from tests.factories.cases import make_team, make_user


def test_who_may_edit_a_teams_dashboards(db: Database) -> None:
    with db.unit_of_work() as session:
        viewer = make_user(session, role=Role.viewer)
        agent = make_user(session, role=Role.agent)
        lead = make_user(session, role=Role.analyst)
        outsider = make_user(session, role=Role.analyst)
        admin = make_user(session, role=Role.admin)
        team = make_team(session, members=[viewer, agent], lead_user_id=lead.id)
        other = make_team(session)
        assert (
            dashboards.editable_team_ids(session, user_id=viewer.id, role=Role.viewer) == []
        )  # a member, but a viewer
        assert dashboards.editable_team_ids(session, user_id=agent.id, role=Role.agent) == [team.id]
        assert dashboards.editable_team_ids(session, user_id=lead.id, role=Role.analyst) == [team.id]
        assert dashboards.editable_team_ids(session, user_id=outsider.id, role=Role.analyst) == []
        assert dashboards.editable_team_ids(session, user_id=admin.id, role=Role.admin) == [team.id, other.id]


def test_cards_keep_their_positions_and_their_limit(db: Database) -> None:
    with db.unit_of_work() as session:
        board = dashboards.create_dashboard(session, team_id=make_team(session).id, name="  Weekly   review ")
        assert board.name == "Weekly review"
        ids = [
            dashboards.add_card(session, dashboard_id=board.id, kind="trend", title=f"c{i}", filters={"range": "7d"}).id
            for i in range(dashboards.MAX_CARDS)
        ]
        with pytest.raises(InvalidInput) as refused:
            dashboards.add_card(session, dashboard_id=board.id, kind="trend", title="one more", filters={})
        assert refused.value.errors[0].field == "kind"
        dashboards.move_card(session, dashboard_id=board.id, card_id=ids[0], offset=-1)  # already first: stays
        order = dashboards.move_card(session, dashboard_id=board.id, card_id=ids[0], offset=2)
        assert [c.id for c in order[:3]] == [ids[1], ids[2], ids[0]]
        dashboards.remove_card(session, dashboard_id=board.id, card_id=ids[1])
        cards = dashboards.require_dashboard(session, dashboard_id=board.id).cards
        assert [c.position for c in cards] == list(range(dashboards.MAX_CARDS - 1))
        other = dashboards.create_dashboard(session, team_id=board.team_id, name="Other")
        with pytest.raises(CardNotFound):
            dashboards.remove_card(session, dashboard_id=other.id, card_id=ids[2])  # not that dashboard's card


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"team_id": 424242, "name": "X"}, "team_id"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_a_bad_dashboard_names_its_field(db: Database, change: dict[str, object], field: str) -> None:
    with db.unit_of_work() as session:
        values = {"team_id": make_team(session).id} | change
        with pytest.raises(InvalidInput) as refused:
            dashboards.create_dashboard(session, **values)  # type: ignore[arg-type]
        assert refused.value.errors[0].field == field


def test_arranging_names_every_card_once(db: Database) -> None:
    with db.unit_of_work() as session:
        board = dashboards.create_dashboard(session, team_id=make_team(session).id, name="Board")
        ids = [
            dashboards.add_card(session, dashboard_id=board.id, kind="themes", title=f"c{i}", filters={}).id
            for i in range(3)
        ]
        order = dashboards.arrange_cards(session, dashboard_id=board.id, card_ids=[ids[2], ids[0], ids[1]])
        assert [(c.id, c.position) for c in order] == [(ids[2], 0), (ids[0], 1), (ids[1], 2)]
        for stale in ([ids[0], ids[1]], [ids[0], ids[0], ids[1]], [*ids, 999]):
            with pytest.raises(InvalidInput) as refused:
                dashboards.arrange_cards(session, dashboard_id=board.id, card_ids=stale)
            assert refused.value.errors[0].field == "order"
        with pytest.raises(InvalidInput) as unknown:
            dashboards.add_card(session, dashboard_id=board.id, kind="pie", title="x", filters={})
        assert unknown.value.errors[0].field == "kind"
