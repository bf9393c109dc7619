"""Per-touchpoint anomaly series (analytics/anomalies.py), both databases: a planted drop at one touchpoint is found
among the segment and touchpoint series, stored with its touchpoint, explained by name, listed at
GET /api/v1/anomalies?touchpoint=, matched by an anomaly alert rule on the touchpoint, and shown on /anomalies."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.analytics import anomalies
from cxloop.journeys import service as journeys
from cxloop.storage.database import Database
from tests.analytics.test_anomalies import AS_OF, DROP_WEEK
from tests.factories.journeys import make_touchpoint
from tests.factories.responses import Scored, add_customers, add_scored, add_survey
from tests.web.conftest import signed_in_client


def build(db: Database) -> dict[str, int]:
    """Ten weeks of NPS at Checkout and at Billing (40 answers a week each, the same customers); Checkout drops in
    the week of 2 Nov. Returns the touchpoint ids by key."""
    rng = random.Random(7)
    with db.unit_of_work() as session:
        survey = add_survey(session)
        people = add_customers(session, 20)
        touchpoints = {key: make_touchpoint(session, key=key).id for key in ("checkout", "billing")}
        items = []
        for week in range(10):
            monday = DROP_WEEK - timedelta(weeks=9 - week)
            for key, touchpoint in touchpoints.items():
                planted = key == "checkout" and week == 9
                promoters, detractors = (0.25, 0.5) if planted else (0.55, 0.15)
                for i in range(40):
                    draw = rng.random()
                    score = 10 if draw < promoters else 2 if draw < promoters + detractors else 8
                    moment = datetime.combine(monday + timedelta(days=i % 7), datetime.min.time(), UTC)
                    items.append(
                        Scored(moment + timedelta(hours=9), survey, people[i % 20], touchpoint_id=touchpoint, nps=score)
                    )
        add_scored(session, items)
    return touchpoints


def test_a_drop_at_one_touchpoint_is_found_stored_and_explained(db: Database) -> None:
    touchpoints = build(db)
    with db.unit_of_work() as session:
        report = anomalies.scan(session, weeks=1, days=0, as_of=AS_OF)
        stored = anomalies.list_anomalies(session)
    at_touchpoints = [a for a in report.discoveries if a.touchpoint_id is not None]
    assert [(a.touchpoint_id, a.scope_key, a.series) for a in at_touchpoints] == [
        (touchpoints["checkout"], "checkout", f"nps/touchpoint:{touchpoints['checkout']}/week")
    ]
    (drop,) = at_touchpoints
    assert drop.direction == "drop" and drop.n == 40 and drop.baseline_n == 320
    assert drop.explanation.startswith("The Checkout touchpoint NPS fell from ")
    assert "in the week of 2 Nov 2026" in drop.explanation
    assert [a.touchpoint_id for a in stored if a.series == drop.series] == [touchpoints["checkout"]]
    # three metrics overall and NPS at two touchpoints; tested: NPS overall and at both, one false-discovery family
    assert (report.series, report.tested) == (5, 3)
    with db.unit_of_work() as session:  # the detection outlives its touchpoint, as history
        journeys.delete_touchpoint(session, touchpoint_id=touchpoints["checkout"])
    with db.unit_of_work() as session:
        kept = [a for a in anomalies.list_anomalies(session) if a.series == drop.series]
    assert [(a.touchpoint_id, a.explanation) for a in kept] == [(None, drop.explanation)]


def test_get_anomalies_filters_by_touchpoint(api: TestClient, db: Database) -> None:
    touchpoints = build(db)
    with db.unit_of_work() as session:
        anomalies.scan(session, weeks=1, days=0, as_of=AS_OF)
    listed = api.get("/api/v1/anomalies", params={"touchpoint": "checkout"})
    assert listed.status_code == 200, listed.text
    assert [(a["touchpoint_id"], a["scope_key"]) for a in listed.json()] == [(touchpoints["checkout"], "checkout")]
    assert api.get("/api/v1/anomalies", params={"touchpoint": "billing"}).json() == []
    every = api.get("/api/v1/anomalies").json()
    assert {a["touchpoint_id"] for a in every} == {None, touchpoints["checkout"]}  # the overall drop has none
    unknown = api.get("/api/v1/anomalies", params={"touchpoint": "nowhere"})
    assert unknown.status_code == 422
    assert [(e["field"], e["message"]) for e in unknown.json()["errors"]] == [("touchpoint", "no touchpoint 'nowhere'")]


def test_an_anomaly_rule_can_name_the_touchpoint(api: TestClient, db: Database) -> None:
    touchpoints = build(db)
    with db.unit_of_work() as session:
        anomalies.scan(session, weeks=1, days=0, as_of=AS_OF)
    matches = {}
    for key, touchpoint in touchpoints.items():
        rule = {
            "name": f"{key} drops",
            "source": "anomaly",
            "conditions": [
                {"field": "touchpoint", "op": "=", "value": touchpoint},
                {"field": "direction", "op": "=", "value": "drop"},
            ],
            "actions": [{"kind": "notify"}],
        }
        made = api.post("/api/v1/alert-rules", json=rule)
        assert made.status_code == 201, made.text
        tried = api.post(f"/api/v1/alert-rules/{made.json()['id']}/try", params={"days": 30}).json()
        matches[key] = tried["matches"]
    assert matches == {"checkout": 1, "billing": 0}
    refused = api.post(
        "/api/v1/alert-rules",
        json={
            "name": "x",
            "source": "anomaly",
            "conditions": [{"field": "touchpoint", "op": "=", "value": "checkout"}],
            "actions": [{"kind": "notify"}],
        },
    )
    assert refused.status_code == 422 and "touchpoint is an id" in refused.text


def test_the_anomalies_page_shows_and_filters_the_touchpoint(client: TestClient, db: Database) -> None:
    signed_in_client(client, db, Role.viewer)
    build(db)
    with db.unit_of_work() as session:
        (drop,) = [a for a in anomalies.scan(session, weeks=1, days=0, as_of=AS_OF).discoveries if a.touchpoint_id]
    page = client.get("/anomalies?range=year")
    assert page.status_code == 200 and drop.explanation in page.text
    assert '<option value="checkout">checkout</option>' in page.text
    only = client.get("/anomalies?range=year&touchpoint=checkout").text
    assert drop.explanation in only and "The Checkout touchpoint" in only and "All customers NPS" not in only
    assert (
        "No anomaly in this range at touchpoint nowhere" in client.get("/anomalies?range=year&touchpoint=nowhere").text
    )
