"""Building a survey in a real browser (Debian's Chromium through Playwright, against the real server, on SQLite and
PostgreSQL): an admin starts from a template on the empty surveys page, sees the live preview follow an edit,
saves a new version, publishes, adds a trigger rule with a condition and a fallback channel and changes the
condition, answers the survey through its hosted link and finds the response counted on
/surveys. axe-core finds no serious or critical violation, no console error (a CSP violation is one) happens, and
the builder fits a 360 px screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from tests.live import LiveServer
from tests.web.conftest import make_user
from tests.web.test_browser import _axe, _screenshot, _sign_in, _watch


def test_an_admin_builds_a_survey_from_a_template_publishes_it_and_sees_its_first_response(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    admin = make_user(db, Role.admin)
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, admin)
    page.wait_for_url(f"{base}/")

    page.get_by_role("link", name="Surveys").click()
    page.wait_for_url(f"{base}/surveys")
    assert "No surveys yet — start from a template" in page.inner_text("main")
    _axe(browser, page, f"{base}/surveys")
    page.get_by_role("button", name="Relationship NPS").click()
    page.wait_for_url(f"{base}/surveys/*")
    survey_id = int(page.url.rsplit("/", 1)[1])
    assert page.get_by_role("heading", level=1).inner_text() == "Survey · Relationship NPS"

    # The live preview: the hosted page drawn from the form, then redrawn a moment after an edit, without saving
    preview = page.frame(name="preview")
    assert preview is not None
    preview.wait_for_selector("text=How likely are you to recommend us to a friend or colleague?")
    page.locator("#q0-text-en").fill("How likely are you to recommend Acme to a friend?")
    preview.wait_for_selector("text=How likely are you to recommend Acme to a friend?")
    page.get_by_role("button", name="Email").click()
    preview.wait_for_selector("text=How likely are you to recommend Acme to a friend?")
    assert "10" in preview.inner_text("body"), "the email's score links"
    with db.unit_of_work() as session:
        assert surveys.require_survey(session, survey_id=survey_id).current_version == 1, "previews save nothing"
    _axe(browser, page, page.url)

    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_url(f"{base}/surveys/{survey_id}?saved=1")
    assert "Saved: version 2" in page.inner_text("main")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector(".case-summary .status-live")
    _screenshot(page, tmp_path, "survey-builder")

    # A trigger rule with an event-property condition and a fallback channel; then its condition changed
    page.locator("#trigger-key").fill("after-ticket")
    page.locator("#trigger-name").fill("After a ticket")
    page.locator("#trigger-channel").select_option("sms")
    page.locator("#trigger-event_name").fill("ticket.solved")
    page.locator("#trigger-cond0-property").fill("wait_minutes")
    page.locator("#trigger-cond0-op").select_option(">")
    page.locator("#trigger-cond0-value").fill("30")
    page.locator("#trigger-fallback0").select_option("email")
    page.get_by_role("button", name="Add the rule").click()
    page.get_by_text("wait_minutes > 30").wait_for()
    assert "sms (then email)" in page.inner_text("#triggers + .table-wrap, section[aria-labelledby=triggers]")
    page.locator("summary", has_text="Conditions and fallbacks of After a ticket").click()
    page.locator("details[id^='rule-'] [id$='-cond0-value']").fill("60")
    page.get_by_role("button", name="Save the conditions and fallbacks of After a ticket").click()
    page.get_by_text("wait_minutes > 60").wait_for()
    _axe(browser, page, page.url)

    # A customer answers through the hosted link (a page of the hosted channel, without a favicon: the browser's
    # request for /favicon.ico is a 404 it logs as a console error, so the app's pages are checked before and after)
    assert seen["errors"] == [], seen["errors"]
    link = page.locator("#hosted-link").get_attribute("href")
    assert link == "/s/k/relationship-nps"
    page.goto(f"{base}{link}")
    page.get_by_text("How likely are you to recommend Acme to a friend?").wait_for()
    page.locator("label[for='q-nps-9']").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Great to hear! What do you like most about us?").fill("The builder was easy.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector("h1")
    assert "/thanks" in page.url
    seen["errors"].clear()

    page.goto(f"{base}/surveys")
    row = page.locator("table.surveys tbody tr", has_text="Relationship NPS")
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "live" and cells[1] == "2" and cells[4] == "1", cells
    assert "NPS +100" in cells[2] and "too few to read" in cells[2]
    _axe(browser, page, f"{base}/surveys")

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base}/surveys/{survey_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert seen["errors"] == [], seen["errors"]
