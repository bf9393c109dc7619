"""Retention policies: a dry run counts what a run then touches; deletion and anonymisation keep the rollups exact."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cxloop.analytics import rollups
from cxloop.collection.models import FeedbackItem, Response
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.customers import service as customers
from cxloop.customers.models import Event
from cxloop.customers.schemas import EventCreate
from cxloop.invitations.models import Invitation
from cxloop.privacy import service as privacy
from cxloop.privacy.runner import run_retention
from cxloop.privacy.schemas import RetentionPolicyUpdate
from cxloop.privacy.tasks import RETENTION_JOB
from cxloop.storage.database import Database
from tests.factories.responses import snapshot
from tests.privacy.world import build_world


def _exact(db: Database) -> dict[tuple[str, str, str, str, int, int], int]:
    """The rollups, checked equal to a recount of the raw rows."""
    with db.unit_of_work() as session:
        kept = snapshot(session)
        rollups.rebuild_rollups(session)
        assert snapshot(session) == kept
    return kept


def _put(api: TestClient, kind: str, keep_days: int, action: str) -> None:
    answer = api.put(f"/api/v1/privacy/retention/{kind}", json={"keep_days": keep_days, "action": action})
    assert answer.status_code == 200, answer.text


def test_dry_run_counts_what_the_run_anonymises_and_deletes(api: TestClient, db: Database, settings: Settings) -> None:
    world = build_world(db, settings.data_dir)
    before = _exact(db)
    _put(api, "responses", 30, "anonymise")
    _put(api, "feedback_text", 30, "delete")
    _put(api, "attachments", 30, "delete")
    listed = {k["kind"]: k for k in api.get("/api/v1/privacy/retention").json()}
    assert listed["responses"]["keep_days"] == 30 and listed["events"]["keep_days"] is None

    dry = api.post("/api/v1/privacy/retention/runs").json()
    assert dry["dry_run"] is True
    counted = {item["kind"]: item["rows"] for item in dry["items"]}
    assert counted == {"attachments": 1, "responses": 7, "feedback_text": 2}
    assert world.image.exists()  # a dry run touches nothing

    ran = api.post("/api/v1/privacy/retention/runs", params={"dry_run": "false"}).json()
    assert {item["kind"]: item["rows"] for item in ran["items"]} == counted
    again = api.post("/api/v1/privacy/retention/runs").json()
    assert {item["kind"]: item["rows"] for item in again["items"]} == dict.fromkeys(counted, 0)
    assert not world.image.exists()

    after = _exact(db)
    # Anonymised responses keep their scores in every rollup but the segment ones (no customer link any more);
    # the deleted feedback items' ratings left.
    assert {k: n for k, n in after.items() if k[1] != "rating" and k[2] != "segment"} == {
        k: n for k, n in before.items() if k[1] != "rating" and k[2] != "segment"
    }
    assert not any(k[2] == "segment" and k[1] != "rating" for k in after)
    assert not any(k[1] == "rating" for k in after)
    with db.unit_of_work() as session:
        rows = session.execute(select(Response.customer_id, Response.comment, Response.nps, Response.meta)).all()
        assert session.scalar(select(func.count()).select_from(FeedbackItem)) == 0
    assert len(rows) == 7 and all(r.customer_id is None and r.comment is None for r in rows)
    assert sorted(r.nps for r in rows) == [2, 3, 9, 9, 9, 10, 10]
    assert all(r.meta == {"anonymised": True} for r in rows)


def test_worker_run_deletes_in_batches_with_exact_counts(db: Database, settings: Settings) -> None:
    build_world(db, settings.data_dir)
    later = utcnow() + timedelta(days=400)  # everything is old by then
    with db.unit_of_work() as session:
        for kind, action in (("responses", "delete"), ("events", "anonymise"), ("invitations", "delete")):
            privacy.set_retention_policy(session, kind=kind, data=RetentionPolicyUpdate(keep_days=365, action=action))
        dry = privacy.apply_retention(session, dry_run=True, now=later)
    counted = {item.kind: item.rows for item in dry.items}
    assert counted == {"responses": 7, "events": 3, "invitations": 0}  # the invitation still waits to be sent

    touched = run_retention(db, now=later, batch=2)  # several transactions per kind

    assert touched == counted
    _exact(db)
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0
        events = session.execute(select(Event.customer_id, Event.properties, Event.name)).all()
        assert session.scalar(select(func.count()).select_from(Invitation)) == 1
        assert privacy.apply_retention(session, dry_run=True, now=later).items[0].rows == 0
    assert sorted(e.name for e in events) == ["page_viewed", "signed_up", "ticket_solved"]
    assert all(e.customer_id is None and e.properties == {"anonymised": True} for e in events)


def test_bad_policies_are_refused_naming_the_field(api: TestClient) -> None:
    unknown = api.put("/api/v1/privacy/retention/everything", json={"keep_days": 3, "action": "delete"})
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "kind"
    refused = api.put("/api/v1/privacy/retention/invitations", json={"keep_days": 3, "action": "anonymise"})
    assert refused.status_code in (400, 422) and refused.json()["errors"][0]["field"] == "action"
    assert api.put("/api/v1/privacy/retention/events", json={"keep_days": 0, "action": "delete"}).status_code == 422
    assert api.put("/api/v1/privacy/retention/events", json={"keep_days": 9, "action": "shred"}).status_code == 422
    _put(api, "events", 9, "delete")
    assert api.delete("/api/v1/privacy/retention/events").status_code == 204
    listed = {k["kind"]: k for k in api.get("/api/v1/privacy/retention").json()}
    assert listed["events"]["keep_days"] is None
    assert api.delete("/api/v1/privacy/retention/nothing").status_code == 404


def test_nothing_happens_without_policies(db: Database, tmp_path: Path) -> None:
    assert run_retention(db) == {}
    with db.unit_of_work() as session:
        assert privacy.apply_retention(session, dry_run=True).items == []
    assert tmp_path.exists()


def test_the_worker_applies_the_policies_hourly(db: Database) -> None:
    from cxloop.worker import jobs as worker_jobs  # the worker's registry, with every domain's tasks

    (job,) = [job for job in worker_jobs if job.name == RETENTION_JOB]
    assert job.every_minutes == 60
    old = utcnow() - timedelta(days=10)
    with db.unit_of_work() as session:
        customers.record_events(
            session,
            items=[EventCreate(customer_external_id="c1", name="old", occurred_at=old), EventCreate(name="new")],
        )
        privacy.set_retention_policy(session, kind="events", data=RetentionPolicyUpdate(keep_days=7, action="delete"))
    assert worker_jobs.run(SimpleNamespace(database=db), RETENTION_JOB, {})
    with db.unit_of_work() as session:
        assert list(session.scalars(select(Event.name))) == ["new"]
