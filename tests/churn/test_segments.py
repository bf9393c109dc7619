"""Segments on churn risk (docs/segments.md, docs/churn.md): `churn_risk` in the filter language reads the latest
daily score through customers/scores.py (provided by wiring: customers sits below churn), members are exactly the
customers scored above the threshold, and a new scoring run recomputes the segments reading it in the same
transaction, telling the membership listeners. Both databases."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient

from cxloop.churn import queries as churn_queries
from cxloop.churn import service as churn
from cxloop.customers import membership, scores
from cxloop.customers import service as customers
from cxloop.storage.database import Database
from tests.factories.churn import NOW, plant_world
from tests.factories.customers import make_segment


def _members(db: Database, key: str) -> set[int]:
    with db.unit_of_work() as session:
        segment = customers.require_segment(session, key=key)
        page = customers.list_members(session, segment_id=segment.id, limit=500)  # plant_world makes 400
        return {c.id for c in page.items}


def test_segments_on_churn_risk_follow_each_scoring_run(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    with db.unit_of_work(write=True) as session:
        world = plant_world(session, customers=400, seed=5)
        churn.train(session, now=NOW)
        make_segment(session, "churn_risk >= 0.3 and churn_risk is not null", key="at-risk")
        make_segment(session, "churn_risk is null", key="unscored")
        make_segment(session, "not (churn_risk < 0.3)", key="not-low")  # also the unscored: a missing value is false
    assert _members(db, "at-risk") == set() and _members(db, "unscored") == set(world.customer_ids)

    told: list[tuple[int, Sequence[int], Sequence[int]]] = []
    listeners = membership.changed.copy()
    listeners.register(lambda _, *, segment_id, added, removed: told.append((segment_id, added, removed)))
    monkeypatch.setattr(membership, "changed", listeners)
    with db.unit_of_work(write=True) as session:
        scored = churn.compute_scores(session, now=NOW)
        churn.store_scores(session, scores=scored)
    risk = {r["customer_id"]: r["probability"] for r in scored.rows}
    at_risk = {c for c, p in risk.items() if p >= 0.3}
    assert 0 < len(at_risk) < len(risk)
    assert _members(db, "at-risk") == at_risk
    assert _members(db, "unscored") == set(world.customer_ids) - set(risk)  # the churned are not scored
    assert _members(db, "not-low") == at_risk | (set(world.customer_ids) - set(risk))
    with db.unit_of_work() as session:
        at_risk_id = customers.require_segment(session, key="at-risk").id
    assert any(segment == at_risk_id and set(added) == at_risk for segment, added, _ in told)

    # The next run scores differently: the one riskiest customer is now safe, one safe customer at risk.
    riskiest = max(risk, key=lambda c: risk[c])
    safest = min(risk, key=lambda c: risk[c])
    for row in scored.rows:
        row["probability"] = {riskiest: 0.01, safest: 0.95}.get(row["customer_id"], row["probability"])
    told.clear()
    with db.unit_of_work(write=True) as session:
        churn.store_scores(session, scores=scored)
    assert _members(db, "at-risk") == (at_risk - {riskiest}) | {safest}
    assert (at_risk_id, [safest], [riskiest]) in told


def test_the_filter_checks_churn_risk_as_a_number(api: TestClient) -> None:
    checked = api.post("/api/v1/segments/validate", json={"filter": "churn_risk >= 0.5 and plan = smb"})
    assert checked.status_code == 200, checked.text
    assert checked.json()["fields"] == ["churn_risk", "plan"] and checked.json()["matches"] == 0
    for text, reason in (
        ("churn_risk >= high", "'churn_risk' is a number"),
        ("churn_risk contains 1", "contains"),
    ):
        refused = api.post("/api/v1/segments/validate", json={"filter": text})
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert error["field"] == "filter" and reason in error["message"], error


def test_a_score_is_provided_once_and_only_when_known() -> None:
    scores.provide("churn_risk", churn_queries.churn_risk_of)  # wiring did it already: the same function is one
    with pytest.raises(ValueError, match="provided already"):
        scores.provide("churn_risk", lambda customer_id: customer_id)
    with pytest.raises(ValueError, match="not a score segment filters know"):
        scores.provide("happiness", churn_queries.churn_risk_of)
