"""The /insights pages in a real browser (Debian's Chromium through Playwright against the real server, SQLite and
PostgreSQL): the drivers chart draws, the outcomes, churn, experiment and maturity pages read, axe-core finds no
serious or critical violation, no console error (a CSP violation is one) happens, nothing overflows 360 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxloop.access.enums import Role
from cxloop.churn import service as churn
from cxloop.experiments import service as experiments
from cxloop.storage.database import Database
from tests.analytics.test_outcomes import _world as outcome_world
from tests.experiments.test_experiments import _spec as experiment_spec
from tests.factories.churn import NOW, plant_world
from tests.live import LiveServer
from tests.web.conftest import make_user
from tests.web.test_browser import JS_BUDGET_GZIP, _axe, _js_gzipped, _screenshot, _sign_in, _watch
from tests.web.test_insights_pages import MARCH, late_deliveries_cost_nps


def test_the_insights_pages_read_and_pass_axe(
    browser: Any, page: Any, db: Database, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    email = make_user(db, Role.viewer)
    late_deliveries_cost_nps(db)
    outcome_world(db, detractor_churn=45, promoter_churn=15)
    with db.unit_of_work() as session:  # every customer above who answers falls in one of its variants
        experiments.create_experiment(session, data=experiment_spec("onboarding-call"))
    with db.unit_of_work(write=True) as session:
        plant_world(session, customers=600)
        churn.train(session, now=NOW)
        churn.score_customers(session, now=NOW)
    seen = _watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/")

    page.get_by_role("link", name="Analyses").click()
    page.wait_for_url(f"{base}/insights/drivers")
    assert "Not enough data" in page.inner_text("main")  # the last 90 days hold none of the planted answers
    seen["scripts"].clear()
    page.goto(f"{base}/insights/drivers?{MARCH}&segment=retail")
    page.wait_for_selector(".drivers-chart.ready canvas")
    assert 0 < _js_gzipped(page, seen["scripts"]) < JS_BUDGET_GZIP
    assert "Late delivery" in page.locator("table.drivers").inner_text()
    _screenshot(page, tmp_path, "insights-drivers")
    _axe(browser, page, page.url)

    page.get_by_role("link", name="Outcomes").click()
    page.wait_for_url(f"{base}/insights/outcomes")
    page.goto(f"{base}/insights/outcomes?end=2026-11-30")
    assert "Revenue at risk" in page.inner_text("main")
    _axe(browser, page, page.url)

    page.get_by_role("link", name="Churn risk").click()
    page.wait_for_url(f"{base}/insights/churn")
    assert "AUC" in page.locator("table.churn-fit").inner_text()
    _screenshot(page, tmp_path, "insights-churn")
    _axe(browser, page, page.url)
    page.locator("table.at-risk a").first.click()
    page.wait_for_url("**/customers/*")

    page.goto(f"{base}/insights/churn")
    page.get_by_role("link", name="Experiments").click()
    page.wait_for_url(f"{base}/insights/experiments")
    page.get_by_role("link", name="Onboarding call").click()
    page.wait_for_url(f"{base}/insights/experiments/onboarding-call")
    assert "treatment vs control" in page.locator("table.comparisons").inner_text()
    _axe(browser, page, page.url)

    page.get_by_role("link", name="Maturity").click()
    page.wait_for_url(f"{base}/insights/maturity")
    assert page.locator("section.pillar").count() == 3
    _axe(browser, page, page.url)

    page.set_viewport_size({"width": 360, "height": 740})
    for path in (
        f"/insights/drivers?{MARCH}&segment=retail",
        "/insights/outcomes?end=2026-11-30",
        "/insights/churn",
        "/insights/experiments/onboarding-call",
        "/insights/maturity",
    ):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    assert seen["errors"] == [], seen["errors"]
