"""A team dashboard in a real browser (Debian's Chromium through Playwright against the real server, SQLite and
PostgreSQL): a team member makes a dashboard, adds two cards with their own dates, moves one up with the button
(no script needed), sorts a table by a numeric column, opens the printable report; axe-core finds no serious or
critical violation, no console error happens, nothing overflows 360 px. A card dragged by its handle keeps its new
place after a reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.dashboards import service as dashboards
from cxloop.storage.database import Database
from tests.factories.cases import make_team
from tests.factories.responses import add_segment
from tests.live import LiveServer
from tests.web.conftest import make_user
from tests.web.test_browser import _axe, _screenshot, _sign_in, _watch
from tests.web.test_insights_pages import late_deliveries_cost_nps


def _add_card(page: Any, kind: str) -> None:
    form = page.locator("form[action$='/cards']")
    form.get_by_label("Card").select_option(kind)
    form.get_by_label("Dates").select_option("custom")
    form.get_by_label("From (custom)").fill("2026-03-01")
    form.get_by_label("To (custom)").fill("2026-03-31")
    form.get_by_role("button", name="Add").click()


def _member(db: Database, **team: str) -> tuple[str, int]:
    """A new agent's email and the id of a new team they belong to."""
    email = make_user(db, Role.agent)
    with db.unit_of_work() as session:
        user_id = access.user_id_by_email(session, email=email)
        assert user_id is not None
        return email, make_team(session, members=[access.require_user(session, user_id=user_id)], **team).id


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("ol.dashboard > li > h2").all_inner_texts()]


def test_a_member_arranges_a_dashboard_and_sorts_a_table(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    email = _member(db, key="support", name="Support")[0]
    late_deliveries_cost_nps(db)
    with db.unit_of_work() as session:  # a second, smaller segment, so the n column has something to sort
        add_segment(session, "few", list(range(1, 6)), name="A few")
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/")

    page.get_by_role("link", name="Dashboards").click()
    page.wait_for_url(f"{base}/dashboards")
    page.get_by_label("Name").fill("Support weekly")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(f"{base}/dashboards/*")
    board = page.url
    _add_card(page, "metric")
    page.wait_for_url(board)
    _add_card(page, "by_segment")
    page.wait_for_url(board)
    assert _titles(page) == ["NPS Score with its interval and change", "NPS By segment"]
    assert "n = 320" in page.locator("ol.dashboard > li").first.inner_text()

    page.get_by_role("button", name="Move NPS By segment up").click()
    page.wait_for_url(board)
    assert _titles(page) == ["NPS By segment", "NPS Score with its interval and change"]

    table = page.locator("ol.dashboard table").first
    n_header = table.locator("thead th", has_text="n").last
    n_header.get_by_role("button").click()
    assert n_header.get_attribute("aria-sort") == "ascending"
    first_rows = table.locator("tbody tr th").all_inner_texts()
    n_header.get_by_role("button").click()
    assert n_header.get_attribute("aria-sort") == "descending"
    assert table.locator("tbody tr th").all_inner_texts() == list(reversed(first_rows))
    assert table.locator("tbody tr th").first.inner_text().startswith("Retail")  # 320 answers before 5 customers' few
    _screenshot(page, tmp_path, "dashboard")
    _axe(browser, page, board)

    page.get_by_role("link", name="Printable report").click()
    page.wait_for_url(f"{board}/print")
    assert "Support weekly" in page.inner_text("h1") and page.locator("nav").count() == 0
    _axe(browser, page, page.url)

    page.set_viewport_size({"width": 360, "height": 740})
    for url in (board, f"{base}/dashboards"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
    assert seen["errors"] == [], seen["errors"]


def test_a_card_dragged_by_its_handle_stays_where_it_was_dropped(
    page: Any, db: Database, live_server: LiveServer
) -> None:
    base = live_server.url
    email, team_id = _member(db)
    with db.unit_of_work() as session:
        board = dashboards.create_dashboard(session, team_id=team_id, name="Arranged")
        for title in ("First", "Second", "Third"):
            dashboards.add_card(session, dashboard_id=board.id, kind="themes", title=title, filters={})
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/")
    url = f"{base}/dashboards/{board.id}"
    page.goto(url)
    assert _titles(page) == ["First", "Second", "Third"]

    cards = page.locator("ol.dashboard > li")
    cards.nth(2).locator(".drag-handle").drag_to(cards.nth(0).locator("h2"))
    page.get_by_text("The new order is saved.").wait_for()
    assert _titles(page) == ["Third", "First", "Second"]
    assert page.get_by_role("button", name="Move Third up").is_disabled()  # the buttons follow the new order

    page.reload()
    assert _titles(page) == ["Third", "First", "Second"]
    with db.unit_of_work() as session:
        stored = dashboards.require_dashboard(session, dashboard_id=board.id).cards
    assert [c.title for c in stored] == ["Third", "First", "Second"]
    assert seen["errors"] == [], seen["errors"]
