"""/api/v1/analytics/churn and /churn/customers over HTTP: the report before and after training, the page of
customers highest risk first, and 422s naming a bad parameter."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cxloop.churn import service as churn
from cxloop.storage.database import Database
from tests.factories.churn import NOW, plant_world


def test_before_any_model_the_report_says_why_and_the_minimum(api: TestClient) -> None:
    body = api.get("/api/v1/analytics/churn").json()
    assert body["status"] == "not_trained" and body["auc"] is None
    assert body["minimum"] == {"churned_in_training": 30, "per_class_in_holdout": 10}
    page = api.get("/api/v1/analytics/churn/customers").json()
    assert page == {"items": [], "total": 0, "limit": 50, "offset": 0, "model_id": None, "horizon_days": None}


def test_the_report_and_the_customers_most_at_risk(api: TestClient, db: Database) -> None:
    with db.unit_of_work(write=True) as session:
        world = plant_world(session, customers=600)
        churn.train(session, now=NOW)
        churn.score_customers(session, now=NOW)
    body = api.get("/api/v1/analytics/churn").json()
    assert body["status"] == "trained"
    assert set(body["auc"]) == {"value", "low", "high"} and len(body["calibration"]) == 10
    page = api.get("/api/v1/analytics/churn/customers", params={"limit": 5, "min_probability": 0.2}).json()
    assert len(page["items"]) == 5 and page["total"] >= 5
    first = page["items"][0]
    assert first["customer_id"] in world.risky and first["top_factors"][0]["contribution"] > 0
    assert set(first) == {"customer_id", "external_id", "name", "probability", "top_factors", "scored_at"}
    second = api.get("/api/v1/analytics/churn/customers", params={"limit": 5, "offset": 5, "min_probability": 0.2})
    assert {i["customer_id"] for i in second.json()["items"]}.isdisjoint({i["customer_id"] for i in page["items"]})


def test_bad_parameters_are_refused_by_name(api: TestClient) -> None:
    for params, field in (({"min_probability": 2}, "min_probability"), ({"limit": 0}, "limit")):
        response = api.get("/api/v1/analytics/churn/customers", params=params)
        assert response.status_code == 422
        assert field in response.text
