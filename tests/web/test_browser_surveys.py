"""Building a survey in a real browser (Debian's Chromium through Playwright, against the real server, on SQLite and
PostgreSQL): an admin starts from a template on the empty surveys page, sees the live preview follow an edit,
saves a new version, publishes, adds a trigger rule with a condition and a fallback channel and changes the
condition, answers the survey through its hosted link and finds the response counted on
/surveys; an analyst renames a rule and changes its delay, deletes another, and answers the unsaved wording in the
real widget.js running in the preview frame, which sends nothing. axe-core finds no serious or critical violation,
no console error (a CSP violation is one) happens, and the builder fits a 360 px screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxloop.access.enums import Role
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.templates import get_template
from cxloop.triggers import service as triggers
from tests.factories.surveys import make_survey
from tests.factories.triggers import make_rule
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
    page.locator("summary", has_text="Edit After a ticket").click()
    page.locator("details[id^='rule-'] [id$='-cond0-value']").fill("60")
    page.get_by_role("button", name="Save the rule After a ticket").click()
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


def test_an_analyst_edits_and_deletes_trigger_rules_and_answers_the_real_widget_in_the_preview(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    with db.unit_of_work() as session:
        survey_id = surveys.create_survey(session, data=get_template("relationship-nps")).id
        kept = make_rule(session, survey_id, name="After a ticket", channel="sms", delay_seconds=300).id
        dropped = make_rule(session, survey_id, name="After an order", event_name="order.placed").id
    analyst = make_user(db, Role.analyst)
    seen = _watch(page)
    requests: list[tuple[str, str]] = []
    page.on("request", lambda request: requests.append((request.method, request.url)))
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, analyst)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/surveys/{survey_id}")

    # The widget preview is widget.js itself, in the sandboxed frame, asking the unsaved wording at once
    page.get_by_role("button", name="Widget", exact=True).click()
    page.locator("#q0-text-en").fill("How likely are you to recommend Acme?")
    preview = page.frame(name="preview")
    assert preview is not None
    prompt = preview.get_by_role("dialog", name="Survey")
    prompt.get_by_text("How likely are you to recommend Acme?").wait_for()
    assert any(url == f"{base}/widget.js" for _, url in requests), "the shipped script, from this server"
    with page.expect_response(lambda response: response.url.endswith("/surveys/preview/widget")):
        page.locator("#q3-text-en").fill("Lovely! What do you like most about Acme?")  # the follow-up for 9 and 10
    preview.wait_for_load_state()
    prompt.get_by_text("How likely are you to recommend Acme?").wait_for()
    preview.get_by_role("dialog", name="Survey").get_by_role("button", name="9", exact=True).click()
    follow_up = preview.get_by_role("dialog", name="Survey").get_by_role("textbox")
    follow_up.wait_for()
    assert preview.get_by_text("Lovely! What do you like most about Acme?").count() == 1, "its unsaved follow-up"
    follow_up.fill("The builder")
    preview.get_by_role("dialog", name="Survey").get_by_role("button", name="Send").click()
    preview.get_by_text("Thank you for your feedback!").wait_for()
    _screenshot(page, tmp_path, "survey-widget-preview")
    assert not [url for _, url in requests if "/widget/v1/" in url], "the preview asks no server and posts nothing"
    posted = {url.removeprefix(base) for method, url in requests if method == "POST"}
    assert posted == {"/login", "/surveys/preview/hosted", "/surveys/preview/widget"}, "the builder's previews only"
    with db.unit_of_work() as session:
        assert surveys.require_survey(session, survey_id=survey_id).current_version == 1, "nothing saved"
    _axe(browser, page, page.url)

    # Renaming a rule and changing its delay
    page.locator("summary", has_text="Edit After a ticket").click()
    page.locator(f"#rule{kept}-name").fill("After a solved ticket")
    page.locator(f"#rule{kept}-delay_minutes").fill("15")
    _screenshot(page, tmp_path, "survey-trigger-edit")
    page.get_by_role("button", name="Save the rule After a ticket").click()
    page.locator("section[aria-labelledby=triggers] th", has_text="After a solved ticket").wait_for()
    assert "15 min later" in page.inner_text("section[aria-labelledby=triggers]")
    with db.unit_of_work() as session:
        rule = triggers.require_rule(session, rule_id=kept)
        assert (rule.name, rule.delay_seconds, rule.channel) == ("After a solved ticket", 900, "sms")

    # Deleting the other, after confirming
    page.locator("summary", has_text="Edit After an order").click()
    page.get_by_role("link", name="Delete the rule After an order").click()
    page.get_by_role("heading", name="Delete After an order?").wait_for()
    _axe(browser, page, page.url)
    page.get_by_role("button", name="Yes, delete After an order").click()
    page.get_by_text("The trigger rule was deleted").wait_for()
    assert page.locator("section[aria-labelledby=triggers] th", has_text="After an order").count() == 0
    with db.unit_of_work() as session:
        assert triggers.get_rule(session, rule_id=dropped) is None and triggers.get_rule(session, rule_id=kept)
    _axe(browser, page, page.url)
    page.set_viewport_size({"width": 360, "height": 740})
    page.locator("summary", has_text="Edit After a solved ticket").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the edit form fits a phone"
    assert seen["errors"] == [], seen["errors"]


def test_a_viewer_previews_the_stored_survey_in_the_read_only_builder(
    browser: Any, page: Any, db: Database, live_server: LiveServer
) -> None:
    base = live_server.url
    survey_id = make_survey(db).id
    seen = _watch(page)
    _sign_in(page, base, make_user(db, Role.viewer))
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/surveys/{survey_id}")
    preview = page.frame(name="preview")
    assert preview is not None
    preview.wait_for_selector("text=How likely are you to recommend us?")  # drawn at once, from the stored survey
    page.get_by_label("Language", exact=True).select_option("de")
    preview.wait_for_selector("text=Wie wahrscheinlich?")  # follows the choice, as the editor's preview follows edits
    page.get_by_role("button", name="Email").click()
    preview.wait_for_selector("text=Wie wahrscheinlich?")
    assert page.get_by_role("button", name="Email").get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="Save as a new version").count() == 0
    _axe(browser, page, f"{base}/surveys/{survey_id}")
    assert seen["errors"] == [], seen["errors"]
