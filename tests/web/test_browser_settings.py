"""Settings in a real browser (Debian's Chromium through Playwright, against the real server under uvicorn, on
SQLite and PostgreSQL): an admin adds a person (the generated password shown once), creates a team with working
hours and adds the person to it; a refused field is named beside it; every settings tab and the account page pass
axe-core (no serious or critical violation), fit a 360 px screen and log no console error (a CSP violation is one).
An analyst reaches the SLA policies tab only and adds a policy after a refusal. Every action and refusal is also
tested over HTTP (test_settings_pages.py and its siblings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.schemas import TeamCreate
from cxloop.cases import service as cases
from cxloop.channels.widget import service as widget
from cxloop.channels.widget.schemas import SiteCreate
from cxloop.storage.database import Database
from tests.live import LiveServer
from tests.web.conftest import make_user
from tests.web.test_browser import _axe, _screenshot, _sign_in, _watch

TABS = ("users", "teams", "sla-policies", "api-keys", "channels", "contact-policy")


def _refused_beside(page: Any, seen: dict[str, list[Any]], button: str, field_id: str, words: str) -> None:
    """Post the form with `button`: the reason comes back beside the field, which is marked invalid, and the page
    answered 422 as the API would (the one console error, which is then forgotten)."""
    at = page.url
    page.get_by_role("button", name=button).click()
    page.wait_for_selector(f"#{field_id}-error")
    assert words in page.inner_text(f"#{field_id}-error")
    assert page.locator(f"#{field_id}").get_attribute("aria-invalid") == "true"
    assert seen["errors"][0] == at, seen["errors"]
    seen["errors"].clear()


def test_an_admin_adds_a_person_and_a_team_and_every_settings_page_is_accessible(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    admin = make_user(db, Role.admin)
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, admin)
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{base}/settings/users")

    page.get_by_label("Email").fill("kim@example.com")
    page.get_by_label("Name", exact=True).fill("Kim Agent")
    page.get_by_label("Role", exact=True).select_option("agent")
    page.get_by_role("button", name="Add person").click()
    page.wait_for_selector("#new-password")
    assert len(page.inner_text("#new-password")) >= 12
    assert "Kim Agent" in page.inner_text("table.users")

    page.get_by_role("link", name="Teams").click()
    page.wait_for_url(f"{base}/settings/teams")
    page.get_by_label("Key").fill("support")
    page.locator("#new-team-name").fill("Support")
    page.locator("#new-team-timezone").fill("Europe/Paris")
    page.locator("#new-team-hours").fill("mon 09:00-18:00\ntue 25:00-26:00")
    _refused_beside(page, seen, "Create team", "new-team-hours", "is not an interval like")
    page.locator("#new-team-hours").fill("mon 09:00-18:00\ntue 09:00-18:00")
    page.get_by_role("button", name="Create team").click()
    page.wait_for_selector("text=The team was created.")
    page.get_by_label("Add a member").select_option(label="Kim Agent (agent)")
    page.get_by_role("button", name="Add to Support").click()
    page.wait_for_selector("text=The member was added.")
    assert page.get_by_role("button", name="Remove Kim Agent from Support").is_visible()
    _screenshot(page, tmp_path, "settings-teams")
    with db.unit_of_work() as session:
        [team] = access.team_reads(session, access.list_teams(session))
    assert team.business_hours == {"mon": ["09:00-18:00"], "tue": ["09:00-18:00"]} and len(team.member_ids) == 1

    with db.unit_of_work() as session:  # a site, so that the channels tab draws its prompt rules' form
        widget.create_site(session, data=SiteCreate(name="Shop", allowed_origins=["https://shop.example.com"]))
    for tab in TABS:
        _axe(browser, page, f"{base}/settings/{tab}")
    page.goto(f"{base}/settings/channels")
    _screenshot(page, tmp_path, "settings-channels")
    _axe(browser, page, f"{base}/account")
    page.set_viewport_size({"width": 360, "height": 740})
    for path in (*(f"/settings/{tab}" for tab in TABS), "/account"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    assert seen["errors"] == [], seen["errors"]


def test_an_analyst_adds_an_sla_policy_in_the_browser(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    analyst = make_user(db, Role.analyst)
    with db.unit_of_work() as session:
        support = access.create_team(session, data=TeamCreate(key="support", name="Support")).id
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, analyst)
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{base}/settings/sla-policies")
    assert page.get_by_role("navigation", name="Settings").get_by_role("link").all_inner_texts() == ["SLA policies"]
    _axe(browser, page, page.url)

    page.locator("#new-sla-team").select_option(label="Support")
    page.locator("#new-sla-priority").select_option("urgent")
    page.get_by_label("Acknowledge within (minutes)").fill("half an hour")
    page.get_by_label("On a breach the case").select_option(label="goes to the team lead")
    _refused_beside(page, seen, "Add policy", "new-sla-ack", "'half an hour' is not a whole number")
    page.get_by_label("Acknowledge within (minutes)").fill("30")
    page.get_by_role("button", name="Add policy").click()
    page.wait_for_selector("text=The SLA policy was added")
    assert page.get_by_role("heading", name="Support · urgent").is_visible()
    _screenshot(page, tmp_path, "settings-sla")
    _axe(browser, page, page.url)  # with the policy's form and its delete button
    with db.unit_of_work() as session:
        stored = cases.list_policies(session)[0]
    assert (stored.team_id, stored.priority, stored.acknowledge_minutes, stored.reassign_to_lead) == (
        support,
        "urgent",
        30,
        True,
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base}/settings/sla-policies")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert seen["errors"] == [], seen["errors"]
