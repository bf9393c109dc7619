"""Erasure removes a person everywhere: every table and every file of the data directory is scanned for their
identifiers afterwards; the rollups stay exact and the metrics of everyone else are unchanged."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.analytics import rollups
from cxloop.analytics import service as analytics
from cxloop.analytics.schemas import MetricQuery
from cxloop.collection.models import Response
from cxloop.core.config import Settings
from cxloop.customers import service as customers
from cxloop.jobs.queue import build_huey
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database
from tests.factories.responses import snapshot
from tests.privacy.world import EMAIL, EXTERNAL_ID, IDENTIFIERS, IMAGE, NAME, PHONE, build_world

QUERIES = [
    MetricQuery(metric="nps", group_by=["month", "segment"]),
    MetricQuery(metric="nps", group_by=["week", "channel"]),
    MetricQuery(metric="csat", group_by=["month"]),
]


def _metrics(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The answers from the rollups, and the same computed from the raw rows."""
    with db.unit_of_work() as session:
        answers = [analytics.compute_metric(session, query=q) for q in QUERIES]
    assert [a.path for a in answers] == ["rollup"] * len(QUERIES)
    zones = rollups.rolled_up_timezones()
    rollups.configure([])
    try:
        with db.unit_of_work() as session:
            raw = [analytics.compute_metric(session, query=q) for q in QUERIES]
    finally:
        rollups.configure(zones)
    return [a.model_dump(exclude={"path"}) for a in answers], [r.model_dump(exclude={"path"}) for r in raw]


def _found_in_tables(db: Database) -> list[str]:
    hits = []
    with db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                text = repr(tuple(row)).lower()
                hits += [f"{table.name}: {n}" for n in IDENTIFIERS if n.lower() in text]
    return hits


def _found_in_files(root: Path) -> list[str]:
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        hits += [f"{path.relative_to(root)}: {n}" for n in IDENTIFIERS if n.lower().encode() in data]
    return hits


def test_export_returns_everything_held_about_the_person(api: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings.data_dir)
    found = api.post("/api/v1/privacy/exports", params={"customer": EMAIL.upper()})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["customer_id"] == world.zelda_id
    held = body["holders"]
    assert held["customer"]["customer"][0]["phone"] == PHONE
    assert [e["name"] for e in held["customer"]["events"]] == ["signed_up", "page_viewed"]  # the same anonymous id
    assert [o["kind"] for o in held["customer"]["outcomes"]] == ["churned"]
    assert held["customer"]["segments"] == [{"key": "pro"}, {"key": "zelda"}]
    assert sorted(r["nps"] for r in held["feedback"]["responses"]) == [2, 9, 10]
    assert [f["text"] for f in held["feedback"]["feedback_items"]] == [f"{NAME} says meh"]
    assert len(held["invitations"]["invitations"]) == 1
    assert held["consent"]["consents"] == [{"purpose": "*", "channel": "sms", "granted": True}]
    assert held["consent"]["consent_ledger"][0]["note"] == f"said yes on {PHONE}"
    (attachment,) = held["attachments"]["attachments"]
    assert base64.b64decode(attachment["base64"]) == IMAGE
    text = api.post("/api/v1/privacy/exports", params={"customer": EXTERNAL_ID, "format": "text"})
    assert text.status_code == 200
    assert "responses (feedback): 3" in text.text and NAME in text.text
    by_id = api.post("/api/v1/privacy/exports", params={"customer": str(world.zelda_id)})
    assert by_id.json()["holders"] == held | {"customer": by_id.json()["holders"]["customer"]}


def test_unknown_customer_is_a_404_naming_the_field(api: TestClient) -> None:
    for path, kwargs in (
        ("/api/v1/privacy/exports", {"params": {"customer": "nobody@example.com"}}),
        ("/api/v1/privacy/erasures", {"json": {"customer": "nobody@example.com"}}),
    ):
        answer = api.post(path, **kwargs)
        assert answer.status_code == 404, answer.text
        assert answer.json()["errors"][0]["field"] == "customer"
    assert api.post("/api/v1/privacy/erasures", json={"customer": ""}).status_code == 422
    assert api.post("/api/v1/privacy/erasures", json={"customer": "x", "extra": 1}).status_code == 422


def test_erasure_leaves_no_trace_and_keeps_other_metrics_exact(
    api: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    world = build_world(db, settings.data_dir)
    queue = build_huey(settings, name=settings.jobs_queue)
    assert queue.pending_count() == 1  # the invitation's send job
    assert len(_found_in_tables(db)) > 10  # the scans do see her data while it is there
    if db.is_sqlite:
        assert any(hit.startswith("cxloop.db") for hit in _found_in_files(tmp_path))
    before, _ = _metrics(db)
    with db.unit_of_work() as session:
        scored_before = session.scalar(select(func.count()).where(Response.nps.is_not(None)))

    erased = api.post("/api/v1/privacy/erasures", json={"customer": EXTERNAL_ID})

    assert erased.status_code == 201, erased.text
    record = erased.json()
    assert record["customer_id"] == world.zelda_id
    assert record["requested_by"].startswith("api-key:")
    removed = record["removed"]
    assert removed["responses"] == 3 and removed["feedback_items"] == 1 and removed["customers"] == 1
    assert removed["events"] == 2 and removed["outcomes"] == 1 and removed["invitations"] == 1
    assert removed["consents"] == 1 and removed["consent_ledger"] == 1 and removed["attachments"] == 1
    assert removed["free_text_rows_scrubbed"] >= 6  # comment, feedback, event, outcome, consent note, attributes
    assert removed["outbox_errors_scrubbed"] == 1
    assert not world.image.exists()
    assert queue.pending_count() == 0  # the send job named only her invitation: dropped

    assert _found_in_tables(db) == []
    assert _found_in_files(tmp_path) == []

    after, raw = _metrics(db)
    assert after == raw  # the rollups equal a recount of the remaining rows
    with db.unit_of_work() as session:
        incremental = snapshot(session)
        rollups.rebuild_rollups(session)
        assert snapshot(session) == incremental
        assert session.scalar(select(func.count()).where(Response.nps.is_not(None))) == scored_before - 3
        comments = sorted(c or "" for c in session.scalars(select(Response.comment)))
    assert "[erased] helped me, write to [erased]" in comments
    with db.unit_of_work() as session:  # a segment filter that named her still parses and runs
        assert customers.require_segment(session, key="zelda").filter == 'email = "[erased]" or plan = free'
        customers.refresh_all_segments(session)
    # Everyone else's numbers are unchanged: only her three answers (2, 9, 10) and her 2-star rating left.
    nps_before, nps_after = before[0]["total"], after[0]["total"]
    assert nps_after["n"] == nps_before["n"] - world.zelda_scores
    assert nps_after["promoters"] == nps_before["promoters"] - 2
    assert nps_after["detractors"] == nps_before["detractors"] - 1
    assert after[2]["total"]["n"] == before[2]["total"]["n"] - 1

    listed = api.get("/api/v1/privacy/erasures").json()
    assert listed["total"] == 1 and listed["items"][0]["removed"] == removed
    assert api.post("/api/v1/privacy/erasures", json={"customer": EXTERNAL_ID}).status_code == 404
