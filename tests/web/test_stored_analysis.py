"""The slow analysis pages read their stored analysis (web/stored_analysis.py; TestClient on the real app, SQLite
and PostgreSQL): while a worker runs and the organisation is above `precompute_above`, a missing result renders the
page at once with a panel HTMX polls, the job computes it and the panel swaps it in with its time; a small
organisation computes inline; analysts (not viewers) can ask for a refresh."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.precomputed import registry
from cxloop.precomputed import service as precomputed
from cxloop.storage.database import Database
from tests.web.conftest import csrf_token, run_queued, signed_in_client
from tests.web.test_insights_pages import MARCH, late_deliveries_cost_nps

HX = {"HX-Request": "true"}


def test_a_missing_result_renders_the_computing_panel_and_swaps_in_when_ready(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.viewer)
    late_deliveries_cost_nps(db)
    url = f"/insights/drivers?{MARCH}&segment=retail"
    page = large.get(url)
    assert page.status_code == 200 and "is being computed" in page.text
    assert 'hx-trigger="load delay:2s"' in page.text and 'hx-select="#analysis-result"' in page.text
    assert "Late delivery" not in page.text and len(queued) == 1
    assert "being computed" in large.get(url, headers=HX).text and len(queued) == 1  # polled: not queued again

    run_queued(db, queued)
    ready = large.get(url, headers=HX)
    assert ready.status_code == 200 and '<div id="analysis-result">' in ready.text
    assert "As of" in ready.text and "Late delivery" in ready.text and "being computed" not in ready.text
    assert "Refresh now" not in ready.text  # viewers read; analysts refresh
    assert large.get("/insights/drivers?segment=nope").status_code == 400  # checked on the page, not by the worker


def test_every_stored_page_and_panel_shows_its_result_once_computed(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.analyst)
    late_deliveries_cost_nps(db)
    pages = ("/themes", "/insights/outcomes", "/insights/partials/operations", "/insights/partials/agents")
    pages += ("/insights/maturity",)
    for url in pages:
        assert "being computed" in large.get(url).text, url
    run_queued(db, queued)
    for url in pages:
        shown = large.get(url)
        assert shown.status_code == 200 and "As of" in shown.text and "Refresh now" in shown.text, url
    assert "Late delivery" in large.get("/themes").text


def test_an_analyst_asks_for_a_refresh(
    large: TestClient, db: Database, queued: list[tuple[str, dict[str, Any]]]
) -> None:
    signed_in_client(large, db, Role.analyst)
    late_deliveries_cost_nps(db)
    large.get("/insights/maturity")
    run_queued(db, queued)
    page = large.get("/insights/maturity")
    with db.unit_of_work() as session:
        row = precomputed.find(session, registry.MATURITY, registry.NoParams())
        assert row is not None
    form = {"csrf_token": csrf_token(page.text), "back": "/insights/maturity"}
    asked = large.post(f"/analyses/{row.id}/refresh", data=form, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == "/insights/maturity"
    assert len(queued) == 1 and "updating…" in large.get("/insights/maturity").text
    run_queued(db, queued)
    assert "updating…" not in large.get("/insights/maturity").text
    refused = large.post(f"/analyses/{row.id}/refresh", data=form | {"back": "https://evil.example/"})
    assert refused.status_code == 400 and "<strong>back</strong>" in refused.text
    missing = large.post("/analyses/999999/refresh", data=form)
    assert missing.status_code == 400 and "<strong>result_id</strong>" in missing.text


def test_viewers_may_not_refresh(large: TestClient, db: Database) -> None:
    signed_in_client(large, db, Role.viewer)
    page = large.get("/themes")
    refused = large.post("/analyses/1/refresh", data={"csrf_token": csrf_token(page.text), "back": "/themes"})
    assert refused.status_code == 403


def test_a_small_organisation_is_computed_in_the_request_and_stored(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    late_deliveries_cost_nps(db)
    page = client.get("/themes")
    assert "Late delivery" in page.text and "As of" in page.text and "being computed" not in page.text
    with db.unit_of_work() as session:
        row = precomputed.find(session, registry.THEMES, registry.NoParams())
        assert row is not None and row.result is not None and row.requested_at is None
