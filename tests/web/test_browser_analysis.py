"""The analysis pages in a real browser (Debian's Chromium through Playwright against the real server, SQLite and
PostgreSQL): themes with their sparklines and the click through to their feedback; axe-core finds no serious or
critical violation, no console error (a CSP violation is one) happens, and the JavaScript stays in its budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cxloop.access.enums import Role
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.factories.surveys import make_survey
from tests.live import LiveServer
from tests.web.conftest import make_user
from tests.web.test_browser import JS_BUDGET_GZIP, _axe, _js_gzipped, _screenshot, _sign_in, _watch
from tests.web.test_journey_page import journey_with_a_bad_touchpoint

COMMENTS = ("billing was wrong again", "the app is slow", "slow support", "slow checkout, slow app")


def _feedback(db: Database) -> None:
    """Sixty answers over twelve weeks, and two rule themes over their comments."""
    make_survey(db, key="nps-web")
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        items = [
            ResponseCreate(
                survey="nps-web",
                nps=(2, 9, 4, 10, 0)[i % 5],
                comment=COMMENTS[i % len(COMMENTS)],
                submitted_at=now - timedelta(days=i + 1),
            )
            for i in range(60)
        ]
        collection.record_responses(session, items=items)
        themes.add_rule(session, data=RuleCreate(name="Billing", phrases=["billing"]))
        themes.add_rule(session, data=RuleCreate(name="Speed", phrases=["slow"]))


def test_themes_show_their_trend_and_open_their_feedback(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    email = make_user(db, Role.viewer)
    _feedback(db)
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/")

    seen["scripts"].clear()
    page.get_by_role("link", name="Themes").click()
    page.wait_for_url(f"{base}/themes")
    page.wait_for_selector(".spark.ready canvas")
    rows = page.locator("table.themes tbody tr")
    assert rows.count() == 2 and "Speed" in rows.first.inner_text()  # the most frequent first
    assert 0 < _js_gzipped(page, seen["scripts"]) < JS_BUDGET_GZIP
    _screenshot(page, tmp_path, "themes")
    _axe(browser, page, page.url)

    page.get_by_role("link", name="Billing").click()
    page.wait_for_url("**/feedback?**theme=**")
    assert "Feedback · Billing" in page.get_by_role("heading", level=1).inner_text()
    texts = page.locator(".feed-item .comment").all_inner_texts()
    assert texts and all("billing" in t for t in texts)
    assert seen["errors"] == [], seen["errors"]


def test_the_journey_map_shows_where_it_breaks_down_on_a_wide_and_a_phone_screen(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    email = make_user(db, Role.viewer)
    journey_with_a_bad_touchpoint(db)
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/")

    page.get_by_role("link", name="Journey").click()
    page.wait_for_url(f"{base}/journey")
    assert "Where it breaks down" in page.locator(".notice").inner_text()
    broken = page.locator(".tile.breaks", has_text="Ticket")
    assert "below the journey, significant" in broken.inner_text() and "Billing" in broken.inner_text()
    _screenshot(page, tmp_path, "journey")
    _axe(browser, page, page.url)
    page.get_by_label("Metric", exact=True).select_option("csat")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**metric=csat**")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Journey · CSAT")

    page.goto(f"{base}/anomalies")
    assert "No anomaly in this range" in page.inner_text("main")
    _axe(browser, page, page.url)

    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/journey", "/themes", "/anomalies"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    _screenshot(page, tmp_path, "anomalies-phone")
    assert seen["errors"] == [], seen["errors"]


def test_a_new_response_shows_on_the_overview_without_reloading(
    page: Any, db: Database, live_server: LiveServer
) -> None:
    base = live_server.url
    email = make_user(db, Role.viewer)
    make_survey(db, key="nps-web")
    seen = _watch(page)
    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/")
    pill = page.locator("[data-live]")
    assert pill.is_hidden()
    page.wait_for_timeout(500)  # the page's EventSource has connected
    with db.unit_of_work() as session:
        collection.record_responses(session, items=[ResponseCreate(survey="nps-web", nps=10, comment="great")])
    page.wait_for_selector("[data-live]:not([hidden])", timeout=20_000)
    assert pill.inner_text().startswith("1 new response since this page was drawn")
    pill.get_by_role("link", name="show them").click()
    page.wait_for_url(f"{base}/")
    assert "n = 1" in page.locator("[data-metric=nps]").inner_text()
    assert seen["errors"] == [], seen["errors"]
