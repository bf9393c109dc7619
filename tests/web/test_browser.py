"""The web app in a real browser: Debian's Chromium (headless, via Playwright) against the real server under uvicorn
on a demo organisation, on SQLite and PostgreSQL. Every page is checked with axe-core (vendored from the npm
registry under tests/web/vendor) for serious and critical violations, and the Content-Security-Policy must not block
anything the page itself loads. Screenshots of the main pages are saved under the test's tmp dir (and into
$CXLOOP_SCREENSHOTS when it is set, which is how docs/images/ were made)."""

from __future__ import annotations

import gzip
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.core.rate_limit import RateLimiter
from cxloop.customers.models import Segment
from cxloop.demo.builder import build_demo
from cxloop.storage.database import Database
from tests.live import LiveServer
from tests.web.conftest import PASSWORD, make_user

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
JS_BUDGET_GZIP = 400 * 1024


@pytest.fixture
def demo(db: Database) -> Database:
    build_demo(db, seed=5, customers=150, months=6)
    return db


def _sign_in(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    """Fill the sign-in form (the one on screen, when a page sent the browser there with its `next`)."""
    if "/login" not in page.url:
        page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _watch(page: Any) -> dict[str, list[Any]]:
    """Console errors (a CSP violation is one) and the scripts each page loads."""
    seen: dict[str, list[Any]] = {"errors": [], "scripts": []}
    page.on("console", lambda message: message.type == "error" and seen["errors"].append(message.text))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("response", lambda response: response.status >= 400 and seen["errors"].append(response.url))
    page.on("request", lambda request: request.resource_type == "script" and seen["scripts"].append(request.url))
    return seen


def _axe(browser: Any, page: Any, url: str) -> None:
    """axe-core on `url` in a second context with the same session (it injects a script, which our CSP forbids)."""
    context = browser.new_context(bypass_csp=True, storage_state=page.context.storage_state())
    try:
        checked = context.new_page()
        checked.goto(url)
        checked.wait_for_load_state("networkidle")
        checked.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        violations = checked.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
        )
    finally:
        context.close()
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{url}: {bad}"


def _screenshot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    keep = os.environ.get("CXLOOP_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def _js_gzipped(page: Any, scripts: list[str]) -> int:
    """The bytes of every script the page loaded, gzipped (as a server or proxy would send them)."""
    return sum(len(gzip.compress(page.request.get(url).body(), 9)) for url in set(scripts))


def test_an_analyst_signs_in_reads_the_overview_filters_it_and_opens_a_customer(
    browser: Any, page: Any, demo: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    email = make_user(demo, Role.analyst)
    with demo.unit_of_work() as session:
        segment_key, segment_name = session.execute(select(Segment.key, Segment.name).order_by(Segment.id)).first()
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{base}/?range=year")
    assert "/login" in page.url, "no session: the sign-in page"
    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/?range=year")
    assert page.get_by_role("heading", level=1).inner_text() == "NPS · last 12 months"
    nps_card = page.locator("[data-metric=nps]")
    assert int(re.search(r"n = (\d+)", nps_card.inner_text()).group(1)) > 0  # type: ignore[union-attr]
    assert any(word in nps_card.inner_text() for word in ("significant", "within noise", "nothing to compare"))
    page.wait_for_selector(".chart.ready canvas")  # ECharts drew the trend with its band
    page.wait_for_selector("#rates-title + .table-wrap td")  # the response-rate panel arrives after the page (HTMX)
    assert page.locator("[aria-busy=true]").count() == 0
    overview_js = _js_gzipped(page, seen["scripts"])
    assert 0 < overview_js < JS_BUDGET_GZIP, overview_js
    _screenshot(page, tmp_path, "overview")
    _axe(browser, page, page.url)

    # Filter by a segment with the filter bar: the view is the URL, and a reload shows the same view
    page.get_by_label("Segment", exact=True).select_option(segment_key)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**segment={segment_key}**")
    assert segment_name in page.get_by_role("heading", level=1).inner_text()
    filtered_n = page.locator("[data-metric=nps]").inner_text()
    page.reload()
    assert page.get_by_label("Segment", exact=True).input_value() == segment_key
    assert page.locator("[data-metric=nps]").inner_text() == filtered_n

    # The feedback explorer: search without reloading (HTMX), the address follows, a customer one click away
    seen["scripts"].clear()
    page.goto(f"{base}/feedback?range=year")
    page.wait_for_selector(".feed-item")
    total_before = page.locator("#results p.small").first.inner_text()
    page.get_by_label("Search comments and texts").fill("the")
    page.wait_for_url("**q=the**")
    assert page.locator("#results p.small").first.inner_text() != total_before
    assert _js_gzipped(page, seen["scripts"]) < JS_BUDGET_GZIP
    _screenshot(page, tmp_path, "feedback")
    _axe(browser, page, page.url)
    page.locator(".feed-item a[href^='/customers/']").first.click()
    page.wait_for_url("**/customers/*")
    assert page.get_by_role("heading", name="Timeline").count() == 1
    assert page.locator("ol.timeline li").count() > 0
    _screenshot(page, tmp_path, "customer")
    _axe(browser, page, page.url)

    # A phone: 360 px wide, nothing wider than the screen, the navigation behind its button
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base}/?range=year")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Menu").click()
    assert page.get_by_role("link", name="Feedback").is_visible()
    _screenshot(page, tmp_path, "overview-phone")

    page.goto(f"{base}/listening?range=year&by=channel")
    rows = page.locator("main table tbody tr")
    assert rows.count() > 0 and "email" in rows.first.inner_text() + page.inner_text("main table")
    for path in ("/listening?range=year&by=survey", "/customers", "/cases"):
        page.goto(f"{base}{path}")
        _axe(browser, page, page.url)
    assert seen["errors"] == [], seen["errors"]  # nothing blocked by the CSP, no script error


def test_a_viewer_cannot_reach_settings_and_forms_need_their_token(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    viewer = make_user(db, Role.viewer)
    admin = make_user(db, Role.admin)
    _sign_in(page, base, viewer)
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("link", name="Settings").count() == 0
    denied = page.goto(f"{base}/settings")
    assert denied is not None and denied.status == 403
    assert "needs the analyst role" in page.inner_text("main")  # its SLA policies tab; the others need an admin

    context = browser.new_context()
    try:
        admin_page = context.new_page()
        _sign_in(admin_page, base, admin)
        admin_page.wait_for_url(f"{base}/")
        admin_page.goto(f"{base}/settings")
        admin_page.get_by_role("link", name="API keys").click()
        admin_page.wait_for_url(f"{base}/settings/api-keys")
        _axe(browser, admin_page, admin_page.url)
        forged = admin_page.request.post(f"{base}/settings/api-keys", form={"name": "forged", "role": "admin"})
        assert forged.status == 403 and "Nothing was changed" in forged.text()
        admin_page.get_by_label("Key name").fill("browser key")
        admin_page.get_by_role("button", name="Create key").click()
        assert admin_page.locator("#new-key").inner_text().strip()
        _screenshot(admin_page, tmp_path, "settings")
        admin_page.get_by_role("button", name="Sign out").click()
        admin_page.wait_for_url("**/login")
        assert admin_page.goto(f"{base}/settings") is not None and "/login" in admin_page.url
    finally:
        context.close()


def test_sign_in_is_rate_limited_in_the_browser(page: Any, db: Database, live_server: LiveServer) -> None:
    base = live_server.url
    email = make_user(db, Role.viewer)
    live_server.app.state.rate_limiters = {"web-sign-in": RateLimiter(rate=2, per=86_400)}
    for _ in range(2):
        _sign_in(page, base, email, "wrong password!")
        assert "The email or password is wrong." in page.inner_text("main")
    _sign_in(page, base, email)
    assert "Too many sign-in attempts" in page.inner_text("main")
    _axe_free = page.url  # still the sign-in page: no session was started
    assert "/login" in _axe_free
