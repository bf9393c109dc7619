"""/api/v1/dashboards on both databases: every key reads; agents and above change their own teams' dashboards, admins
any; cards are written in order with their filters (ids kept); bad input answers 422 naming the field; audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.storage.database import Database
from tests.factories.cases import make_team, make_user

URL = "/api/v1/dashboards"


def _user_key(db: Database, role: Role, *, member_of: int | None = None) -> dict[str, str]:
    """A key of a new user of `role`, a member of team `member_of`."""
    with db.unit_of_work() as session:
        user = make_user(session, role=role)
        if member_of is not None:
            access.add_team_member(session, team_id=member_of, user_id=user.id)
        _, plain = access.create_api_key(session, name=f"{role.value} of {user.id}", role=role, user_id=user.id)
    return {"Authorization": f"Bearer {plain}"}


def _teams(db: Database, count: int = 2) -> list[int]:
    with db.unit_of_work() as session:
        return [make_team(session).id for _ in range(count)]


def _audited(db: Database) -> list[tuple[str, str | None]]:
    with db.unit_of_work() as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.target_id).order_by(AuditEntry.id))
        return [(action, target) for action, target in rows]


CARDS: list[dict[str, Any]] = [
    {"kind": "trend", "title": "NPS trend", "filters": {"range": "30d", "metric": "nps"}},
    {"kind": "by_segment", "title": "CSAT by segment", "filters": {"metric": "csat", "channel": "email"}},
    {"kind": "sla", "title": "SLAs", "filters": {"range": "custom", "start": "2026-03-01", "end": "2026-03-31"}},
]


def test_admin_creates_reads_rearranges_and_deletes(api: TestClient, db: Database) -> None:
    team, other = _teams(db)
    made = api.post(URL, json={"team_id": team, "name": " Weekly  review ", "cards": CARDS})
    assert made.status_code == 201, made.text
    board = made.json()
    assert board["name"] == "Weekly review" and board["team_id"] == team
    assert [(c["kind"], c["position"], c["filters"]) for c in board["cards"]] == [
        ("trend", 0, {"range": "30d", "metric": "nps"}),
        ("by_segment", 1, {"metric": "csat", "channel": "email"}),
        ("sla", 2, {"range": "custom", "start": "2026-03-01", "end": "2026-03-31"}),
    ]
    trend, by_segment, sla = (c["id"] for c in board["cards"])
    assert api.get(f"{URL}/{board['id']}").json() == board
    assert [b["id"] for b in api.get(URL).json()] == [board["id"]]

    # Reverse two cards, drop one, add one, move the dashboard to the other team and rename it.
    cards = [
        {"id": sla, "kind": "sla", "title": "Case SLAs", "filters": {}},
        {"id": trend, "kind": "trend", "title": "NPS trend", "filters": {"range": "90d"}},
        {"kind": "themes", "title": "Themes"},
    ]
    changed = api.patch(f"{URL}/{board['id']}", json={"name": "Monthly", "team_id": other, "cards": cards})
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["name"], after["team_id"]) == ("Monthly", other)
    assert [(c["id"], c["title"], c["position"]) for c in after["cards"][:2]] == [
        (sla, "Case SLAs", 0),
        (trend, "NPS trend", 1),
    ]
    assert after["cards"][2]["kind"] == "themes" and after["cards"][2]["id"] not in (trend, by_segment, sla)
    assert after["cards"][0]["filters"] == {} and after["cards"][1]["filters"] == {"range": "90d"}

    renamed = api.patch(f"{URL}/{board['id']}", json={"name": "Only the name"}).json()
    assert renamed["cards"] == after["cards"] and renamed["team_id"] == other

    assert api.delete(f"{URL}/{board['id']}").status_code == 204
    assert api.get(f"{URL}/{board['id']}").status_code == 404
    target = str(board["id"])
    assert _audited(db) == [
        ("dashboard.created", target),
        ("dashboard.updated", target),
        ("dashboard.updated", target),
        ("dashboard.deleted", target),
    ]


@pytest.mark.parametrize(
    ("card", "field", "says"),
    [
        ({"kind": "pie", "title": "x"}, "cards.0.kind", "metric"),
        ({"kind": "trend", "title": ""}, "cards.0.title", "at least 1"),
        ({"kind": "trend", "title": "x", "filters": {"colour": "red"}}, "cards.0.filters", "colour"),
        ({"kind": "trend", "title": "x", "filters": {"range": "week"}}, "cards.0.filters", "range"),
        ({"kind": "trend", "title": "x", "filters": {"channel": "fax"}}, "cards.0.filters", "channel"),
        ({"kind": "trend", "title": "x", "filters": {"metric": "csi"}}, "cards.0.filters", "metric"),
        (
            {"kind": "trend", "title": "x", "filters": {"range": "custom", "start": "2026-03-01"}},
            "cards.0.filters",
            "custom",
        ),
        (
            {"kind": "trend", "title": "x", "filters": {"start": "2026-03-09", "end": "2026-03-01"}},
            "cards.0.filters",
            "before",
        ),
        ({"kind": "trend", "title": "x", "filters": {"start": "March"}}, "cards.0.filters", "start"),
    ],
)
def test_a_bad_card_answers_422_naming_the_field(
    api: TestClient, db: Database, card: dict[str, Any], field: str, says: str
) -> None:
    (team,) = _teams(db, 1)
    refused = api.post(URL, json={"team_id": team, "name": "Board", "cards": [card]})
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == field and says in error["message"]
    assert api.get(URL).json() == [] and _audited(db) == []


def test_bad_references_answer_422_and_change_nothing(api: TestClient, db: Database) -> None:
    team, other = _teams(db)
    unknown_team = api.post(URL, json={"team_id": 424242, "name": "Board"})
    assert unknown_team.status_code == 422 and unknown_team.json()["errors"][0]["field"] == "team_id"
    first = api.post(URL, json={"team_id": team, "name": "A", "cards": CARDS[:1]}).json()
    second = api.post(URL, json={"team_id": other, "name": "B", "cards": CARDS[:1]}).json()
    foreign = second["cards"][0]["id"]
    stolen = api.patch(f"{URL}/{first['id']}", json={"cards": [{"id": foreign, "kind": "trend", "title": "x"}]})
    assert stolen.status_code == 422 and stolen.json()["errors"][0]["field"] == "cards.0.id"
    mine = first["cards"][0]["id"]
    twice = [{"id": mine, "kind": "trend", "title": "x"}] * 2
    assert api.patch(f"{URL}/{first['id']}", json={"cards": twice}).json()["errors"][0]["message"] == "is sent twice"
    too_many = [{"kind": "trend", "title": f"c{i}"} for i in range(25)]
    assert api.patch(f"{URL}/{first['id']}", json={"cards": too_many}).status_code == 422
    assert api.get(f"{URL}/{first['id']}").json() == first
    assert api.patch(f"{URL}/9999", json={"name": "x"}).status_code == 404


def test_agents_change_only_their_teams_dashboards(client: TestClient, db: Database) -> None:
    mine, theirs = _teams(db)
    member = _user_key(db, Role.agent, member_of=mine)
    viewer = _user_key(db, Role.viewer, member_of=mine)
    made = client.post(URL, headers=member, json={"team_id": mine, "name": "Ours"})
    assert made.status_code == 201
    board = made.json()["id"]
    refused = client.post(URL, headers=member, json={"team_id": theirs, "name": "Theirs"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "team_id"
    moved = client.patch(f"{URL}/{board}", headers=member, json={"team_id": theirs})
    assert moved.status_code == 403
    # A viewer of the team reads it; a member of no team, or an agent key of no user, changes nothing.
    assert client.get(f"{URL}/{board}", headers=viewer).json()["name"] == "Ours"
    assert client.patch(f"{URL}/{board}", headers=viewer, json={"name": "x"}).status_code == 403
    outsider = _user_key(db, Role.analyst)
    assert client.patch(f"{URL}/{board}", headers=outsider, json={"name": "x"}).status_code == 403
    assert client.delete(f"{URL}/{board}", headers=outsider).status_code == 403
    with db.unit_of_work() as session:
        _, plain = access.create_api_key(session, name="integration", role=Role.agent)
    keyless = {"Authorization": f"Bearer {plain}"}
    assert client.post(URL, headers=keyless, json={"team_id": mine, "name": "x"}).status_code == 403
    assert client.delete(f"{URL}/{board}", headers=member).status_code == 204
    assert [action for action, _ in _audited(db)] == ["dashboard.created", "dashboard.deleted"]
