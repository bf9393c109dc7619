"""A stored analysis in a real browser (Chromium through Playwright against the real server, SQLite and PostgreSQL):
a large organisation's drivers page, with no result yet, renders at once with the "being computed" panel; when the
worker has computed it, the panel's poll swaps the result in and its chart draws; the themes page's sparklines and a
dashboard's trend card within two filters draw after the same swap. No console error, axe clean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxloop.access.enums import Role
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.dashboards import service as dashboards
from cxloop.jobs import dispatch
from cxloop.precomputed import service as precomputed
from cxloop.storage.database import Database
from tests.factories.cases import make_team
from tests.live import LiveServer
from tests.web.conftest import make_user
from tests.web.test_browser import _axe, _sign_in, _watch
from tests.web.test_insights_pages import MARCH, late_deliveries_cost_nps


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Every organisation counts as large: the pages show stored results while a worker sweeps."""
    return Settings(environment="test", database_url=db_url, data_dir=tmp_path / "data", precompute_above=0)


@pytest.fixture
def queued(db: Database) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    previous = dispatch.installed()
    dispatch.install(lambda _, payload: calls.append(payload))
    yield calls
    dispatch.install(previous)


def _work(db: Database, queued: list[dict[str, Any]]) -> None:
    """The worker's part: compute what the pages queued."""
    while queued:
        precomputed.refresh(db, result_id=queued.pop()["result_id"], now=utcnow())


def _signed_in_while_a_worker_runs(page: Any, db: Database, base: str) -> dict[str, Any]:
    """A viewer signed in over the answers of late_deliveries_cost_nps, a worker sweep recorded; the console watched."""
    email = make_user(db, Role.viewer)
    late_deliveries_cost_nps(db)
    with db.unit_of_work(write=True) as session:
        precomputed.record_sweep(session, now=utcnow(), refreshed=0, seconds=0.0)
    seen = _watch(page)
    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/")
    return seen


def test_the_computing_panel_swaps_the_result_in(
    browser: Any, page: Any, db: Database, live_server: LiveServer, queued: list[dict[str, Any]]
) -> None:
    base = live_server.url
    seen = _signed_in_while_a_worker_runs(page, db, base)

    page.goto(f"{base}/insights/drivers?{MARCH}&segment=retail")
    assert "is being computed" in page.inner_text("main")
    _axe(browser, page, page.url)
    _work(db, queued)
    page.wait_for_selector(".drivers-chart.ready canvas", timeout=10_000)  # polled, swapped in, drawn
    assert "Late delivery" in page.locator("table.drivers").inner_text()
    assert "As of" in page.inner_text("main") and "being computed" not in page.inner_text("main")

    page.goto(f"{base}/themes")
    assert "being computed" in page.inner_text("main")
    _work(db, queued)
    page.wait_for_selector(".spark.ready canvas", timeout=10_000)
    assert "Late delivery" in page.inner_text("main")
    assert seen["errors"] == []


def test_a_dashboard_card_within_two_filters_is_swapped_in_and_drawn(
    browser: Any, page: Any, db: Database, live_server: LiveServer, queued: list[dict[str, Any]]
) -> None:
    base = live_server.url
    seen = _signed_in_while_a_worker_runs(page, db, base)
    filters = {**dict(part.split("=") for part in MARCH.split("&")), "segment": "retail", "channel": "email"}
    with db.unit_of_work() as session:
        board = dashboards.create_dashboard(session, team_id=make_team(session).id, name="Weekly")
        dashboards.add_card(session, dashboard_id=board.id, kind="trend", title="NPS trend", filters=filters)

    page.goto(f"{base}/dashboards/{board.id}")
    assert "is being computed" in page.inner_text("main")
    _axe(browser, page, page.url)
    _work(db, queued)
    page.wait_for_selector(".dashboard-card .chart.ready canvas", timeout=10_000)  # polled, swapped in, drawn
    assert "As of" in page.inner_text("main") and "being computed" not in page.inner_text("main")
    assert seen["errors"] == []
