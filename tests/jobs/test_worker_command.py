"""`cxloop worker` explains itself, and its jobs are all registered (most are exercised in test_worker.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxloop.cli.main import app
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.customers import event_listeners
from cxloop.customers import service as customers
from cxloop.customers.models import Customer
from cxloop.customers.schemas import SegmentCreate
from cxloop.customers.tasks import refresh_segments
from cxloop.invitations.tokens import TokenSigner
from cxloop.jobs import dispatch
from cxloop.storage.database import Database
from cxloop.triggers import event_rules
from cxloop.wiring import wire_domains
from cxloop.worker import NoPayload, Runtime, jobs
from tests.factories.customers import make_customer


def test_help_names_the_options() -> None:
    result = CliRunner().invoke(app, ["worker", "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    for text in ("--workers", "--queue", "--poll-interval", "--no-periodic", "CXLOOP_REDIS_URL"):
        assert text in result.output


def test_every_job_is_registered_with_its_schedule() -> None:
    schedule = {job.name: job.every_minutes for job in jobs}
    assert schedule == {
        "triggers.evaluate_events": None,
        "triggers.catch_up_events": 10,
        "triggers.sweep_time_rules": 60,
        "triggers.send_due": 1,
        "triggers.send_reminders": 15,
        "customers.refresh_segments": 60,
        "jobs.prune_outbox": 60,
        "notifications.prune_messages": 60,
        "notifications.send_digests": 15,
        "privacy.apply_retention": 60,
        "invitations.send": None,
        "email.confirm_subscription": None,
        "email.send_test": None,
        "cases.sweep_sla": 1,
        "cases.run_bulk": None,
        "cases.resume_bulk_runs": 1,
        "cases.send_verifications": 15,
        "analytics.scan_anomalies": 60,
        "churn.train": 60,
        "churn.score": 60,
        "follow_ups.send": None,
        "follow_ups.send_due": 1,
        "text.learn_when_due": 60,
        "text.themes.discover": None,
        "text.themes.run_queued_discovery": 1,
        "precomputed.refresh": None,
        "precomputed.sweep": 1,
    }


def test_the_hourly_segment_refresh_recomputes_members(db: Database, tmp_path: Path) -> None:
    with db.unit_of_work(write=True) as session:
        customer = make_customer(session, signup_date=utcnow().date() - timedelta(days=100))
        segment = customers.create_segment(
            session, data=SegmentCreate(key="tenured", name="Tenured", filter="tenure > 90 days")
        )
        assert customers.member_counts(session, segment_ids=[segment.id]) == {segment.id: 1}
        # The stored membership goes stale, as time-based membership does while days pass.
        session.get_one(Customer, customer.id).signup_date = utcnow().date() - timedelta(days=10)
    runtime = Runtime(
        Settings(environment="test", data_dir=tmp_path), db, TokenSigner(b"secret"), deliver=lambda *a, **k: None
    )
    refresh_segments(runtime, NoPayload())
    with db.unit_of_work() as session:
        assert customers.member_counts(session, segment_ids=[segment.id]).get(segment.id, 0) == 0


def test_the_event_listener_registry_checks_what_it_gets(tmp_path: Path) -> None:
    previous = dispatch.installed()
    wire_domains(Settings(environment="test", data_dir=tmp_path))
    dispatch.install(previous)
    assert event_rules.on_events_stored in event_listeners.stored
    fresh = event_listeners.stored.copy()
    fresh.register(event_rules.on_events_stored)
    with pytest.raises(ValueError, match="registered already"):
        fresh.register(event_rules.on_events_stored)
    with pytest.raises(TypeError, match="callable"):
        fresh.register("not a function")  # type: ignore[arg-type]
