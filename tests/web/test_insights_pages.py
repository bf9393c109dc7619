"""The analysis pages under /insights (TestClient on the real app, SQLite and PostgreSQL): key drivers, outcomes and
churn risk, each read by a viewer over planted data and in its not-enough-data state, and bad filters answering 400."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.churn import service as churn
from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.schemas import RuleCreate
from tests.analytics.test_drivers import FINE, LATE, WITH, WITHOUT, respond
from tests.analytics.test_outcomes import _world as outcome_world
from tests.experiments.test_experiments import TREATMENT
from tests.experiments.test_experiments import _plant as plant_experiment
from tests.factories.churn import NOW, plant_world
from tests.factories.responses import add_customers, add_segment, add_survey
from tests.web.conftest import signed_in_client

MARCH = "range=custom&start=2026-03-01&end=2026-03-31"  # when tests/analytics/test_drivers.py's answers are given


def late_deliveries_cost_nps(db: Database) -> None:
    """320 NPS answers in March 2026 from segment Retail; the half mentioning late delivery score 30 points lower.
    (Its survey, customers and segment leave room for the outcome world of tests/analytics/test_outcomes.py.)"""
    with db.unit_of_work() as session:
        survey = add_survey(session, key="delivery")
        retail = add_customers(session, 50, start=5000)
        add_segment(session, "retail", retail, name="Retail")
        answers = [(retail[i % 50], WITH[i % len(WITH)], LATE) for i in range(160)]
        answers += [(retail[(i * 7) % 50], WITHOUT[i % 10], FINE) for i in range(160)]
        respond(session, survey, answers, channel="email")
        themes.add_rule(session, data=RuleCreate(name="Late delivery", phrases=["late"]))


def test_drivers_say_when_there_is_not_enough_data(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    page = client.get("/insights/drivers")
    assert page.status_code == 200
    assert "Not enough data for a driver analysis" in page.text and "at least 200" in page.text
    assert 'data-chart="drivers"' not in page.text
    assert client.get("/insights").url.path == "/insights/drivers"  # the section opens on its first page


def test_drivers_show_the_planted_theme_with_its_interval_and_the_held_out_fit(
    client: TestClient, db: Database
) -> None:
    signed_in_client(client, db, Role.viewer)
    late_deliveries_cost_nps(db)
    page = client.get(f"/insights/drivers?{MARCH}&segment=retail")
    assert page.status_code == 200, page.text
    assert "Drivers of NPS · Retail" in page.text and "320 answers for segment Retail" in page.text
    assert (
        "Late delivery" in page.text and "Fixing comments about &#39;Late delivery&#39; is worth about +" in page.text
    )
    assert "not fitted on" in page.text and 'data-chart="drivers" data-figures=' in page.text
    csat = client.get(f"/insights/drivers?{MARCH}&metric=csat")
    assert csat.status_code == 200 and "Not enough data" in csat.text and "0 CSAT answers" in csat.text


def test_bad_filters_answer_400_naming_the_field(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    for url, field in (
        ("/insights/drivers?metric=happiness", "metric"),
        ("/insights/drivers?segment=nope", "segment"),
        ("/insights/outcomes?end=yesterday", "end"),
        ("/insights/outcomes?segment=nope", "segment"),
    ):
        page = client.get(url)
        assert page.status_code == 400 and f"<strong>{field}</strong>" in page.text, (url, page.text[-800:])


def test_outcomes_show_churn_by_band_and_revenue_at_risk(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    empty = client.get("/insights/outcomes")
    assert empty.status_code == 200 and "Not enough data to relate scores to churn" in empty.text
    assert 'hx-get="/insights/partials/agents"' in empty.text  # the slower panels load after the page
    assert "No support tickets with answers after them" in client.get("/insights/partials/agents").text
    assert "Operations" in client.get("/insights/partials/operations").text
    outcome_world(db, detractor_churn=45, promoter_churn=15)
    page = client.get("/insights/outcomes?end=2026-11-30")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "300 customers, 60 churned" in text
    assert "30.0 %" in text and "10.0 %" in text  # detractors' and promoters' churn
    assert "Revenue at risk" in text and "4,500" in text and "significant" in text
    smb = client.get("/insights/outcomes?end=2026-11-30&segment=smb")
    assert smb.status_code == 200 and "SMB" in smb.text


def test_churn_page_before_and_after_training(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    before = client.get("/insights/churn")
    assert (
        before.status_code == 200
        and "No churn model yet" in before.text
        and "No customer has a churn score" in before.text
    )
    with db.unit_of_work(write=True) as session:
        world = plant_world(session, customers=600)
        churn.train(session, now=NOW)
        churn.score_customers(session, now=NOW)
    page = client.get("/insights/churn")
    text = " ".join(page.text.split())
    assert page.status_code == 200
    assert "AUC" in text and "Brier score" in text and "Calibration" in text and "(a detractor) = at risk" in text
    assert any(f'href="/customers/{c}"' in page.text for c in world.risky)  # the top-risk customers link to theirs
    with db.unit_of_work() as session:  # the customer page shows the riskiest customer's score and its factors
        top = churn.list_customers(session, limit=1).items[0]
        assert churn.customer_risk(session, customer_id=top.customer_id) == top
    profile = " ".join(client.get(f"/customers/{top.customer_id}").text.split())
    assert f"{top.probability * 100:,.0f} %" in profile and f"raised most by {top.top_factors[0].label}" in profile


def test_experiments_list_and_results(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    empty = client.get("/insights/experiments")
    assert empty.status_code == 200 and "No experiment yet" in empty.text
    plant_experiment(db, key="onboarding-call", treatment=TREATMENT)
    listed = client.get("/insights/experiments")
    assert 'href="/insights/experiments/onboarding-call"' in listed.text and "Onboarding call" in listed.text
    page = client.get("/insights/experiments/onboarding-call")
    text = " ".join(page.text.split())
    assert page.status_code == 200 and "Experiment · Onboarding call" in text
    assert "treatment vs control" in text and "significant" in text and "95 % interval" in text
    missing = client.get("/insights/experiments/ghost")
    assert missing.status_code == 404 and "There is no experiment &#39;ghost&#39;" in missing.text


def test_maturity_shows_each_pillar_with_its_next_step(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    page = client.get("/insights/maturity")
    text = " ".join(page.text.split())
    assert page.status_code == 200 and "Level <strong>1</strong> of 5" in text
    for pillar in ("Listen", "Understand", "Act"):
        assert f"{pillar}: level" in text
    assert text.count("Next step:") == 3
