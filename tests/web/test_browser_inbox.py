"""The case inbox by keyboard in a real browser (Debian's Chromium through Playwright, against the real server on
SQLite and PostgreSQL): the shortcuts' help, j/k to move, x to select, keys typed into a field left alone, a to
acknowledge the selected cases in bulk, o then an arrow and Enter to assign the current case, select all, an action
on every case run by the worker followed without a reload; axe-core finds no serious or critical violation, no
console error happens, and the page fits a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction
from cxloop.cases.schemas import SYSTEM
from cxloop.cases.service import bulk_runs
from cxloop.core.clock import utcnow
from cxloop.storage.database import Database
from cxloop.web import inbox_page
from tests.factories.cases import make_team, open_case
from tests.factories.customers import make_customer
from tests.live import LiveServer
from tests.web.conftest import make_user
from tests.web.test_browser import _axe, _screenshot, _sign_in, _watch


def _cases(db: Database, agent: str) -> list[int]:
    """Three new cases and a resolved one in the agent's team, newest last."""
    with db.unit_of_work() as session:
        agent_id = access.user_id_by_email(session, email=agent)
        assert agent_id is not None
        team = make_team(session, members=[access.require_user(session, user_id=agent_id)])
        made = []
        for n in range(4):
            customer = make_customer(session, external_id=f"c-keys-{n}", name=f"Customer {n}")
            made.append(open_case(session, customer.id, title=f"Problem {n}", team_id=team.id)[0].id)
        cases.transition(session, case_id=made[0], action=CaseAction.resolve, actor=SYSTEM, resolution="Done")
    return made


def test_an_agent_works_the_inbox_by_keyboard_and_acknowledges_in_bulk(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    agent = make_user(db, Role.agent)
    resolved, *fresh = _cases(db, agent)
    newest_first = fresh[::-1]  # the inbox lists the newest case first
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, agent)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/cases?status=all")
    rows = page.locator("table.inbox tbody tr")
    assert rows.count() == 4

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    assert dialog.is_visible() and "acknowledge the selected cases" in dialog.inner_text()
    page.keyboard.press("Escape")
    assert not dialog.is_visible()

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert rows.nth(0).get_attribute("class") == "current"
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.inner_text("#bulk-count") == "2 cases selected"

    page.get_by_label("Resolution of the selected").fill("")
    page.get_by_label("Resolution of the selected").press_sequentially("jxa")
    assert page.get_by_label("Resolution of the selected").input_value() == "jxa", "keys typed into a field stay there"
    assert page.inner_text("#bulk-count") == "2 cases selected" and rows.nth(1).get_attribute("class") == "current"
    page.get_by_label("Resolution of the selected").fill("")
    _axe(browser, page, f"{base}/cases?status=all")

    page.locator("h1").click()
    page.keyboard.press("a")
    page.wait_for_url(f"{base}/cases/bulk")
    notice = page.get_by_role("status").filter(has_text="Acknowledged")
    assert notice.inner_text() == f"Acknowledged: #{newest_first[0]}, #{newest_first[1]}."
    with db.unit_of_work() as session:
        statuses = {i: cases.require_case(session, case_id=i).status for i in (resolved, *fresh)}
    assert statuses == {resolved: "resolved", fresh[0]: "new", fresh[1]: "acknowledged", fresh[2]: "acknowledged"}

    page.goto(f"{base}/cases?status=all")
    page.get_by_label("Select every case on this page").check()
    assert page.inner_text("#bulk-count") == "4 cases selected"
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    page.wait_for_url(f"{base}/cases/bulk")
    refused = page.get_by_role("alert").inner_text()
    assert "3 cases not changed" in refused and f"#{resolved}: cannot acknowledge a case that is resolved" in refused
    assert f"Acknowledged: #{fresh[0]}." in page.inner_text("main")
    _screenshot(page, tmp_path, "inbox-bulk")
    _axe(browser, page, f"{base}/cases")

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base}/cases?status=all")
    wide = page.evaluate(  # what sticks out, if anything: named in the failure
        "Array.from(document.querySelectorAll('body *')).filter(e => e.scrollWidth > 362)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.scrollWidth)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
    assert seen["errors"] == [], seen["errors"]


def test_an_agent_assigns_the_current_case_by_keyboard(
    browser: Any, page: Any, db: Database, live_server: LiveServer
) -> None:
    base = live_server.url
    agent = make_user(db, Role.agent)
    colleague = make_user(db, Role.agent, email="colleague@example.com")
    with db.unit_of_work() as session:
        ids = [access.user_id_by_email(session, email=e) for e in (agent, colleague)]
        team = make_team(session, members=[access.require_user(session, user_id=i) for i in ids if i is not None])
        made = [
            open_case(
                session, make_customer(session, external_id=f"c-own-{n}").id, title=f"Problem {n}", team_id=team.id
            )
            for n in range(2)
        ]
    newest = made[-1][0].id
    seen = _watch(page)
    _sign_in(page, base, agent)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/cases")

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    assert "assign: selects the current case" in dialog.inner_text()
    page.keyboard.press("Escape")
    owner = page.get_by_label("Owner")
    assert owner.get_attribute("aria-keyshortcuts") == "o"
    assert page.get_by_role("button", name="Assign").get_attribute("aria-keyshortcuts") == "o"

    page.keyboard.press("o")  # no current case and none selected: nothing happens
    assert page.evaluate("document.activeElement.id") != "bulk-owner"
    page.keyboard.press("j")
    page.keyboard.press("o")
    assert page.evaluate("document.activeElement.id") == "bulk-owner"
    assert page.inner_text("#bulk-count") == "1 case selected"
    page.keyboard.press("ArrowDown")  # from "me" to the colleague
    assert owner.input_value() == str(ids[1])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/cases/bulk")
    notice = page.get_by_role("status").filter(has_text="Assigned")
    assert notice.inner_text() == f"Assigned to Test agent: #{newest}."  # the colleague (named as every agent here)
    with db.unit_of_work() as session:
        owners = {c.id: cases.require_case(session, case_id=c.id).owner_user_id for c, _ in made}
    assert owners == {made[0][0].id: made[0][0].owner_user_id, newest: ids[1]}  # the other case kept its owner
    _axe(browser, page, f"{base}/cases")
    assert seen["errors"] == [], seen["errors"]


def test_an_action_on_every_case_run_by_the_worker_shows_its_progress_without_a_reload(
    browser: Any, page: Any, db: Database, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the request's share (2 here) the confirmed action is queued; the inbox's panel says so, then follows the
    chunks the worker commits by polling itself (HTMX), with no reload, until the counts."""
    monkeypatch.setattr(inbox_page, "IN_REQUEST_UP_TO", 2)
    monkeypatch.setattr(inbox_page, "PAGE_SIZE", 2)
    monkeypatch.setattr(bulk_runs, "CHUNK", 1)
    base = live_server.url
    agent = make_user(db, Role.agent)
    _resolved, *fresh = _cases(db, agent)
    seen = _watch(page)
    _sign_in(page, base, agent)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/cases")
    page.get_by_label("Select all 3 cases matching this filter (open, any priority), not only those ticked").check()
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    page.get_by_role("button", name="Yes, change all 3 cases").click()
    page.wait_for_url(f"{base}/cases?status=open&priority=")
    panel = page.locator("#bulk-runs")
    assert "Queued: no worker is running" in panel.inner_text()
    _axe(browser, page, f"{base}/cases")

    with db.unit_of_work() as session:
        agent_id = access.user_id_by_email(session, email=agent)
        assert agent_id is not None
        (run,) = cases.recent_bulk_runs(session, user_id=agent_id, since=utcnow())
    with db.unit_of_work(write=True) as session:
        assert bulk_runs.run_chunk(session, run_id=run.id, now=utcnow())
    page.locator("#bulk-runs", has_text="1 of 3 done").wait_for(timeout=10_000)
    bulk_runs.execute(db, run_id=run.id)
    page.locator("#bulk-runs", has_text="3 cases changed").wait_for(timeout=10_000)
    assert "0 skipped" in panel.inner_text() and panel.get_attribute("hx-get") is None  # done: no more polling
    with db.unit_of_work() as session:
        assert {cases.require_case(session, case_id=i).status for i in fresh} == {"acknowledged"}
    assert seen["errors"] == [], seen["errors"]
