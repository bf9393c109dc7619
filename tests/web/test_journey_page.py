"""The journey map (TestClient on the real app, SQLite and PostgreSQL): each touchpoint's metric with its interval
and n read against the journey, its top themes, and where the experience breaks down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.factories.journeys import make_stage, touchpoint_spec
from tests.factories.surveys import make_survey
from tests.web.conftest import signed_in_client


def journey_with_a_bad_touchpoint(db: Database) -> None:
    """Signing up goes well (50 promoters and passives), support tickets badly (40 detractors about billing)."""
    make_survey(db, key="nps-web")
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        make_stage(
            session, key="start", name="Getting started", touchpoints=[touchpoint_spec(key="signup", name="Sign-up")]
        )
        make_stage(session, key="help", name="Getting help", touchpoints=[touchpoint_spec(key="ticket", name="Ticket")])
        answers = [("signup", 9 + i % 2, "easy start") for i in range(40)] + [("signup", 8, None) for _ in range(10)]
        answers += [("ticket", i % 4, "billing was wrong") for i in range(40)]
        collection.record_responses(
            session,
            items=[
                ResponseCreate(
                    survey="nps-web",
                    touchpoint=tp,
                    nps=nps,
                    comment=text,
                    submitted_at=now - timedelta(days=1 + i % 20),
                )
                for i, (tp, nps, text) in enumerate(answers)
            ],
        )
        themes.add_rule(session, data=RuleCreate(name="Billing", phrases=["billing"]))


def test_a_journey_without_answers_says_what_fills_it(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    page = client.get("/journey")
    assert page.status_code == 200 and "No answers at this journey's touchpoints" in page.text


def test_the_map_shows_each_touchpoint_against_the_journey_and_where_it_breaks_down(
    client: TestClient, db: Database
) -> None:
    signed_in_client(client, db, Role.viewer)
    journey_with_a_bad_touchpoint(db)
    page = client.get("/journey?range=30d")
    assert page.status_code == 200, page.text
    text = page.text
    journey = text[text.index('<ol class="journey"') :]
    assert journey.index("Getting started") < journey.index("Getting help"), "stages in their order"
    assert "Where it breaks down: <strong>Getting help</strong> (-100, n = 40) and <strong>Ticket</strong>" in text
    assert "n = 40 · below the journey, significant" in text and "n = 50 · above the journey, significant" in text
    assert '<span class="chip" title="40 responses">Billing</span>' in text
    assert "n = 90" in text  # the whole journey
    assert "CSAT" in client.get("/journey?metric=csat").text
    assert client.get("/journey?metric=mood").status_code == 400
    assert client.get("/journey?journey=nope").status_code == 400
