"""Team dashboards over HTTP (TestClient on the real app, SQLite and PostgreSQL): a team member makes a dashboard,
adds, changes, reorders and removes cards; viewers and other teams read only; CSRF; bad input answers 400 naming the
field and changes nothing; every change is audited; the printable report; a card's table exports as CSV."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.dashboards import service as dashboards
from cxloop.dashboards.schemas import DashboardRead
from cxloop.storage.database import Database
from tests.factories.cases import make_team
from tests.factories.responses import add_survey
from tests.web.conftest import csrf_token, make_user, sign_in
from tests.web.test_insights_pages import late_deliveries_cost_nps
from tests.web.test_tables import csv_of, tables_of

MARCH = {"range": "custom", "start": "2026-03-01", "end": "2026-03-31"}


def _team_with(db: Database, email: str, *, lead: bool = False) -> int:
    with db.unit_of_work() as session:
        user_id = access.user_id_by_email(session, email=email)
        assert user_id is not None
        me = access.require_user(session, user_id=user_id)
        team = make_team(session, members=[] if lead else [me], lead_user_id=user_id if lead else None)
        return team.id


def _signed_in(client: TestClient, db: Database, role: Role, email: str | None = None) -> str:
    email = make_user(db, role, email=email)
    assert sign_in(client, email).status_code == 303
    return email


def _post(client: TestClient, url: str, **data: str) -> httpx.Response:
    token = csrf_token(client.get("/dashboards").text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def _board(db: Database, dashboard_id: int) -> DashboardRead:
    with db.unit_of_work() as session:
        return dashboards.require_dashboard(session, dashboard_id=dashboard_id)


def _audited(db: Database) -> list[str]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_member_builds_arranges_and_prints_a_dashboard(client: TestClient, db: Database) -> None:
    email = _signed_in(client, db, Role.agent)
    team_id = _team_with(db, email)
    late_deliveries_cost_nps(db)
    made = _post(client, "/dashboards", name="Support weekly", team_id=str(team_id))
    assert made.status_code == 303
    url = made.headers["location"]
    board_id = int(url.rsplit("/", 1)[1])
    assert _post(client, f"{url}/cards", kind="metric", metric="nps", **MARCH).status_code == 303
    added = _post(client, f"{url}/cards", kind="by_segment", title="NPS by segment", metric="nps", **MARCH)
    assert added.status_code == 303
    _post(client, f"{url}/cards", kind="themes")
    first, second, third = _board(db, board_id).cards
    assert (first.kind, first.title, first.filters["metric"]) == (
        "metric",
        "NPS Score with its interval and change",
        "nps",
    )
    assert second.filters == {**MARCH, "metric": "nps"}

    page = client.get(url).text
    assert page.index("NPS by segment") > page.index("NPS Score with") and "Retail" in page and "n = 320" in page
    assert "NPS by segment · 2026-03-01 to 2026-03-31" in page  # the card says what it is filtered by

    _post(client, f"{url}/cards/{second.id}/move", direction="up")
    assert [c.id for c in _board(db, board_id).cards] == [second.id, first.id, third.id]
    _post(client, f"{url}/cards/{third.id}/move", direction="down")  # already last: stays
    _post(client, f"{url}/cards/{first.id}/remove")
    assert [(c.id, c.position) for c in _board(db, board_id).cards] == [(second.id, 0), (third.id, 1)]
    _post(client, f"{url}/cards/{second.id}", title="Segments", metric="csat", range="year")
    changed = _board(db, board_id).cards[0]
    assert (changed.title, changed.filters) == ("Segments", {"range": "year", "metric": "csat"})
    _post(client, f"{url}/rename", name="Support, every Monday")
    assert _board(db, board_id).name == "Support, every Monday"

    _post(client, f"{url}/cards/{second.id}", title="Segments", metric="nps", **MARCH)
    shown = tables_of(client.get(url).text)[f"card-{second.id}"]
    rows = csv_of(client, url, f"card-{second.id}")
    assert [r[0] for r in rows[1:]] == [r[0] for r in shown[1:]] and "Retail" in [r[0] for r in rows]

    report = client.get(f"{url}/print")
    assert report.status_code == 200 and "Support, every Monday" in report.text and "drawn" in report.text
    assert 'aria-label="Sections"' not in report.text  # no navigation on paper
    assert _audited(db).count("dashboard.updated") == 9 and _audited(db)[0] == "dashboard.created"

    assert _post(client, f"{url}/delete").headers["location"] == "/dashboards"
    assert client.get(url).status_code == 404 and _audited(db)[-1] == "dashboard.deleted"


def test_viewers_and_other_teams_read_but_cannot_change(client: TestClient, db: Database) -> None:
    lead = _signed_in(client, db, Role.analyst, email="lead@example.com")
    team_id = _team_with(db, lead, lead=True)  # a lead who is not a member may edit too
    url = _post(client, "/dashboards", name="Product", team_id=str(team_id)).headers["location"]
    assert _post(client, f"{url}/cards", kind="trend").status_code == 303
    board_id = int(url.rsplit("/", 1)[1])
    client.cookies.clear()

    _signed_in(client, db, Role.viewer)
    page = client.get(url)
    assert page.status_code == 200 and "Add a card" not in page.text and "Trend with its confidence band" in page.text
    for path, data in (
        (f"{url}/cards", {"kind": "metric"}),
        (f"{url}/rename", {"name": "Mine"}),
        (f"{url}/delete", {}),
        ("/dashboards", {"name": "Mine", "team_id": str(team_id)}),
    ):
        refused = _post(client, path, **data)
        assert refused.status_code == 403, path
    client.cookies.clear()

    _signed_in(client, db, Role.agent)  # an agent of no team
    assert _post(client, f"{url}/cards", kind="metric").status_code == 403
    assert "New dashboard" not in client.get("/dashboards").text
    client.cookies.clear()

    _signed_in(client, db, Role.admin)
    assert _post(client, f"{url}/cards", kind="sla").status_code == 303
    board = _board(db, board_id)
    assert board.name == "Product" and [c.kind for c in board.cards] == ["trend", "sla"]


def test_forms_need_the_csrf_token(client: TestClient, db: Database) -> None:
    email = _signed_in(client, db, Role.agent)
    team_id = _team_with(db, email)
    refused = client.post("/dashboards", data={"name": "X", "team_id": str(team_id)}, follow_redirects=False)
    assert refused.status_code == 403 and "security token" in refused.text
    with db.unit_of_work() as session:
        assert dashboards.list_dashboards(session) == []


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"kind": "pie"}, "kind"),
        ({"kind": "metric", "metric": "roi"}, "metric"),
        ({"kind": "trend", "range": "fortnight"}, "range"),
        ({"kind": "trend", "range": "custom", "start": "2026-03-01", "end": "2026-02-01"}, "end"),
        ({"kind": "trend", "channel": "pigeon"}, "channel"),
        ({"kind": "trend", "title": "x" * 121}, "title"),
    ],
)
def test_a_bad_card_answers_400_naming_the_field_and_adds_nothing(
    client: TestClient, db: Database, form: dict[str, str], field: str
) -> None:
    email = _signed_in(client, db, Role.agent)
    team_id = _team_with(db, email)
    url = _post(client, "/dashboards", name="Board", team_id=str(team_id)).headers["location"]
    answer = _post(client, f"{url}/cards", **form)
    assert answer.status_code == 400
    assert re.search(rf"\b{field}\b", answer.text) and "Nothing was changed" in answer.text
    assert _board(db, int(url.rsplit("/", 1)[1])).cards == []
    assert _audited(db) == ["dashboard.created"]


def test_a_nameless_dashboard_and_an_unknown_one(client: TestClient, db: Database) -> None:
    email = _signed_in(client, db, Role.agent)
    team_id = _team_with(db, email)
    nameless = _post(client, "/dashboards", name="   ", team_id=str(team_id))
    assert nameless.status_code == 400 and "name" in nameless.text
    assert _post(client, "/dashboards", name="X", team_id="abc").status_code == 400
    assert client.get("/dashboards/424242").status_code == 404
    assert _post(client, "/dashboards/424242/cards", kind="metric").status_code == 404
    assert "No dashboard yet" in client.get("/dashboards").text


def test_a_drag_saves_the_whole_order_or_nothing(client: TestClient, db: Database) -> None:
    email = _signed_in(client, db, Role.agent)
    team_id = _team_with(db, email)
    url = _post(client, "/dashboards", name="Board", team_id=str(team_id)).headers["location"]
    for kind in ("themes", "anomalies", "sla"):
        _post(client, f"{url}/cards", kind=kind)
    board_id = int(url.rsplit("/", 1)[1])
    first, second, third = (c.id for c in _board(db, board_id).cards)
    page = client.get(url).text
    assert f'data-arrange="/dashboards/{board_id}/arrange"' in page  # the script's hook, for editors only

    saved = _post(client, f"{url}/arrange", order=f"{third},{first},{second}")
    assert saved.status_code == 204
    assert [c.id for c in _board(db, board_id).cards] == [third, first, second]
    for stale in (f"{first},{second}", f"{first},{second},{third},{third}", "1,two,3", ""):
        refused = _post(client, f"{url}/arrange", order=stale)
        assert refused.status_code == 400 and re.search(r"\border\b", refused.text), stale
    assert [c.id for c in _board(db, board_id).cards] == [third, first, second]
    no_token = client.post(f"{url}/arrange", data={"order": f"{first},{second},{third}"}, follow_redirects=False)
    assert no_token.status_code == 403
    assert _audited(db).count("dashboard.updated") == 4  # three cards added, one order saved
    client.cookies.clear()

    _signed_in(client, db, Role.viewer)
    assert "data-arrange" not in client.get(url).text
    assert _post(client, f"{url}/arrange", order=f"{first},{second},{third}").status_code == 403
    assert [c.id for c in _board(db, board_id).cards] == [third, first, second]


def test_a_dashboard_wide_filter_applies_to_every_card_and_stays_in_the_link(client: TestClient, db: Database) -> None:
    email = _signed_in(client, db, Role.viewer)
    late_deliveries_cost_nps(db)  # 320 NPS answers by email in March 2026, segment Retail
    with db.unit_of_work() as session:
        board = dashboards.create_dashboard(session, team_id=make_team(session).id, name="Weekly")
        for kind in ("metric", "by_channel"):
            dashboards.add_card(session, dashboard_id=board.id, kind=kind, title=kind, filters={**MARCH})
    url = f"/dashboards/{board.id}"
    assert email and "n = 320" in client.get(url).text  # each card's own dates: March

    june = "range=custom&start=2026-06-01&end=2026-06-30"  # and the period before it, May: no answers either
    moved = client.get(f"{url}?{june}").text
    assert "n = 320" not in moved and "2026-06-01 to 2026-06-30" in moved  # the board's dates over the cards'
    by_sms = client.get(f"{url}?channel=sms").text
    assert "n = 320" not in by_sms and "metric · sms · 2026-03-01 to 2026-03-31" in by_sms  # the card's dates kept

    filtered = client.get(f"{url}?segment=retail&channel=email")
    assert filtered.status_code == 200 and "n = 320" in filtered.text
    assert "<h1>Weekly · Retail · email</h1>" in filtered.text
    assert f'href="{url}/print?segment=retail&amp;channel=email"' in filtered.text  # the print link keeps it
    report = client.get(f"{url}/print?segment=retail&channel=email&{june}").text
    assert "Filtered for every card: Retail · email · 2026-06-01 to 2026-06-30." in report
    assert "Filtered for every card" not in client.get(f"{url}/print").text
    with db.unit_of_work() as session:  # nothing stored changes: the filter is the link's
        assert dashboards.require_dashboard(session, dashboard_id=board.id).cards[0].filters == MARCH

    for query, field in (("channel=pigeon", "channel"), ("range=custom&start=2026-04-01", "end"), ("range=w", "range")):
        refused = client.get(f"{url}?{query}")
        assert refused.status_code == 400 and re.search(rf"\b{field}\b", refused.text), query


def test_the_dashboard_wide_filter_sets_stage_touchpoint_and_survey_too(client: TestClient, db: Database) -> None:
    _signed_in(client, db, Role.viewer)
    late_deliveries_cost_nps(db)  # 320 NPS answers by email in March 2026, survey "delivery", no stage or touchpoint
    with db.unit_of_work() as session:
        add_survey(session, key="onboarding")
        board = dashboards.create_dashboard(session, team_id=make_team(session).id, name="Weekly")
        dashboards.add_card(session, dashboard_id=board.id, kind="metric", title="NPS", filters={**MARCH})
    url = f"/dashboards/{board.id}"
    page = client.get(url).text
    assert all(f'id="f-{dim}"' in page for dim in ("segment", "stage", "touchpoint", "channel", "survey"))
    assert "n = 320" in client.get(f"{url}?survey=delivery").text
    other = client.get(f"{url}?survey=onboarding")
    assert other.status_code == 200 and "n = 320" not in other.text
    assert "NPS · Onboarding · 2026-03-01 to 2026-03-31" in other.text
    assert f'href="{url}/print?survey=onboarding"' in other.text  # the print link keeps it
    for dim, key in (("stage", "usage"), ("touchpoint", "first-use")):
        narrowed = client.get(f"{url}?{dim}={key}").text
        assert "n = 320" not in narrowed, (dim, "the answers have no stage or touchpoint")
    report = client.get(f"{url}/print?stage=usage&survey=delivery").text
    assert "Filtered for every card: Usage · Delivery." in report
    with db.unit_of_work() as session:
        assert dashboards.require_dashboard(session, dashboard_id=board.id).cards[0].filters == MARCH
