"""Working a case in a real browser (Debian's Chromium through Playwright, against the real server under uvicorn, on
SQLite and PostgreSQL): a detractor's case seen in the inbox, opened, acknowledged, its follow-up previewed (HTMX)
and sent (queued for the worker), resolved with a root cause; axe-core finds no serious or critical violation and no
console error (a CSP violation is one) happens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxloop.access.enums import Role
from cxloop.cases import service as cases
from cxloop.cases.service import follow_ups
from cxloop.storage.database import Database
from tests.live import LiveServer
from tests.web.conftest import make_user
from tests.web.test_browser import _axe, _screenshot, _sign_in, _watch
from tests.web.test_case_page import detractor_case


def test_an_agent_acknowledges_a_detractor_s_case_follows_up_and_resolves_it(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    agent = make_user(db, Role.agent)
    case_id = detractor_case(db, agent)
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, agent)
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/cases")
    row = page.locator("table.inbox tbody tr", has_text="Dana Detractor")
    assert "new" in row.inner_text() and "acknowledge:" in row.inner_text()
    row.get_by_role("link", name="Billing double charge").click()
    page.wait_for_url(f"{base}/cases/{case_id}")
    assert page.get_by_role("heading", level=1).inner_text() == f"Case #{case_id}: Billing double charge"
    assert "Charged twice!" in page.inner_text("main") and "NPS 2" in page.inner_text("main")
    assert "dana.detractor@example.org" not in page.inner_text("main"), "masked for an agent"

    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector("text=acknowledge: new → acknowledged")
    assert page.locator("#sla + table tr", has_text="Acknowledge").locator(".chip").inner_text() == "met"

    # The follow-up: the preview arrives without reloading (HTMX), with consent and the contact policy's verdict
    page.get_by_label("Template").select_option("sorry")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("#follow-up-preview .letter")
    assert page.url == f"{base}/cases/{case_id}", "the page was not reloaded"
    preview = page.inner_text("#follow-up-preview")
    assert "Hi Dana, it is fixed." in preview and "✓ allowed" in preview and "may be sent now" in preview
    _axe(browser, page, f"{base}/cases/{case_id}?template=sorry&channel=email")
    page.get_by_role("button", name="Send this email").click()
    page.wait_for_url(f"{base}/cases/{case_id}#follow-ups")
    assert "queued" in page.inner_text("#follow-ups + ul")

    page.get_by_label("Resolution").fill("Refunded the second charge")
    page.get_by_label("Root cause").select_option("billing-bug")
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_selector("text=resolve: acknowledged → resolved (root cause billing-bug)")
    assert "Refunded the second charge" in page.inner_text("main")
    _screenshot(page, tmp_path, "case")
    _axe(browser, page, page.url)

    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert seen["errors"] == [], seen["errors"]
    with db.unit_of_work() as session:
        assert cases.require_case(session, case_id=case_id).status == "resolved"
        queued = follow_ups.follow_ups_of_case(session, case_id=case_id)
        assert [(f.status.value, f.channel.value, f.template) for f in queued] == [("queued", "email", "sorry")]
