"""The themes page and the explorer filtered by a theme (TestClient on the real app, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.factories.surveys import make_survey
from tests.web.conftest import signed_in_client


def test_a_new_organisation_is_told_how_themes_appear(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    page = client.get("/themes")
    assert page.status_code == 200 and "No themes yet" in page.text and "cxloop text themes discover" in page.text


def test_each_theme_shows_its_figures_masked_examples_and_links_to_its_feedback(
    client: TestClient, db: Database
) -> None:
    signed_in_client(client, db, Role.viewer)
    make_survey(db, key="nps-web")
    now = datetime.now(UTC)
    answers = [
        (2, "Billing charged me twice, mail me at ana@example.org", 1),
        (3, "billing is confusing", 3),
        (9, "great support team", 2),
    ]
    with db.unit_of_work() as session:
        collection.record_responses(
            session,
            items=[
                ResponseCreate(survey="nps-web", nps=nps, comment=comment, submitted_at=now - timedelta(days=days))
                for nps, comment, days in answers
            ],
        )
        theme_id = themes.add_rule(session, data=RuleCreate(name="Billing", phrases=["billing"])).id

    page = client.get("/themes")
    assert page.status_code == 200
    assert "Billing" in page.text and f'href="/feedback?range=year&amp;theme={theme_id}"' in page.text
    assert "billing is confusing" in page.text
    assert "ana@example.org" not in page.text, "viewers read examples masked, as in the API"
    assert 'data-chart="spark"' in page.text and "Mentions per week" in page.text

    feedback = client.get(f"/feedback?range=year&theme={theme_id}")
    assert feedback.status_code == 200 and "2 responses" in feedback.text
    assert "Feedback · Billing · last 12 months" in feedback.text and "great support" not in feedback.text
    assert f"theme={theme_id}" in feedback.text.split("Download CSV")[0]
    assert len(client.get(f"/feedback.csv?range=year&theme={theme_id}").text.strip().splitlines()) == 3
    assert client.get("/feedback?theme=999999").status_code == 400
    assert "theme" in client.get("/feedback?theme=abc").text


def test_the_page_says_when_discovery_is_queued_or_running(client: TestClient, db: Database) -> None:
    from cxloop.text.themes import runs

    signed_in_client(client, db, Role.viewer)
    with db.unit_of_work(write=True) as session:
        run_id = runs.queue_discovery(session, limit=5_000, embedder="lsa").id
    page = client.get("/themes")
    assert page.status_code == 200
    assert f"Theme discovery is queued (run {run_id}, lsa, up to 5000 comments of each kind" in page.text
    runs.run_discovery(db, run_id=run_id)
    page = client.get("/themes")
    assert "Theme discovery is" not in page.text and "Last discovery" in page.text


def test_the_page_says_when_a_run_matches_older_comments(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxloop.text.themes import rematch, runs
    from tests.text.themes.conftest import add_survey, store_topics

    signed_in_client(client, db, Role.viewer)
    add_survey(db)
    for seed in range(3):
        store_topics(db, 10, seed=seed)
    monkeypatch.setattr(rematch, "BATCH", 25)

    def stop(done: int, _: int) -> None:
        if done == 25:
            raise KeyboardInterrupt

    with db.unit_of_work(write=True) as session:
        run_id = runs.start_discovery(session, limit=40, embedder="lsa").id
    with pytest.raises(KeyboardInterrupt):
        runs.execute(db, run_id=run_id, counted=stop)
    page = client.get("/themes")
    assert f"Theme discovery is running (run {run_id}, lsa, up to 40 comments" in page.text
    assert "its themes are stored, and older comments are being matched to them (25 so far)" in page.text
