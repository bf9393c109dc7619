"""`cxloop worker` for real: separate processes on Huey (SQLite or Redis) and the test database, sending through
a real SMTP server. Two workers at once, and a worker killed with SIGKILL mid-send, still give each customer one
invitation and one email."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from cxloop.access.enums import Role
from cxloop.app import create_app
from cxloop.core.clock import utcnow
from cxloop.invitations.models import Invitation
from cxloop.jobs import dispatch, queue
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from cxloop.triggers import sending, time_rules
from tests.conftest import make_key
from tests.factories.customers import make_customer
from tests.factories.triggers import live_survey, make_rule
from tests.jobs.conftest import SmtpServer, WorkerWorld, wait_for


def _statuses(db: Database) -> dict[str, int]:
    with db.unit_of_work() as session:
        rows = session.execute(select(Invitation.status, func.count()).group_by(Invitation.status))
        return dict(rows.all())


def _reminded(db: Database) -> list[bool]:
    with db.unit_of_work() as session:
        return [at is not None for at in session.scalars(select(Invitation.reminded_at).order_by(Invitation.id))]


def _leased(db: Database) -> int:
    """How many invitations a worker holds a live lease on (jobs/leases.py)."""
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).where(Invitation.lease_until > utcnow())) or 0)


def _let_leases_run_out(db: Database) -> None:
    """What LEASE (5 minutes) of waiting does to the lease a killed worker left."""
    with db.unit_of_work() as session:
        session.execute(update(Invitation).values(lease_until=utcnow() - timedelta(seconds=1)))


def _due_customers(db: Database, count: int, *, days: int = 30) -> None:
    today = utcnow().date()
    with db.unit_of_work() as session:
        survey = live_survey(session, resurvey_days=0)
        for n in range(count):
            make_customer(session, email=f"customer{n}@example.com", signup_date=today - timedelta(days=days))
        make_rule(session, survey, kind="time", anchor="signup_date", offset_days=days)


def test_ticket_solved_event_to_csat_email(db: Database, world: WorkerWorld, smtp_server: SmtpServer) -> None:
    """The helpdesk webhook stores the event, which queues the evaluation after commit; the worker invites (only
    for the ticket that waited over 30 minutes) and sends at once."""
    with db.unit_of_work() as session:
        survey = live_survey(session)
        make_customer(session, external_id="c-1", email="ana@example.com")
        make_rule(
            session,
            survey,
            kind="event",
            event_name="ticket_solved",
            conditions=[{"property": "wait_minutes", "op": ">", "value": 30}],
        )
    world.start_worker()
    with TestClient(create_app(world.settings, database=db)) as client:
        dispatch.install(queue.enqueuer(world.settings, name=world.queue_name))
        headers = make_key(db, Role.admin)
        for wait, event_id in ((45, "t-1"), (5, "t-2")):  # the helpdesk webhook (generic shape, API key)
            body = {
                "id": event_id,
                "event": "ticket_solved",
                "ticket": {"id": f"T-{event_id}"},
                "customer": {"external_id": "c-1", "email": "ana@example.com"},
                "metrics": {"wait_minutes": wait},
            }
            response = client.post("/webhooks/helpdesk/generic", json=body, headers=headers)
            assert response.status_code < 300, response.text
    # `sent` is committed just after the server accepted the message
    wait_for(lambda: _statuses(db) == {"sent": 1}, what=f"the CSAT email; worker said: {world.output()}")
    assert smtp_server.recorder.per_recipient() == {"ana@example.com": 1}


def test_two_workers_sweeping_at_once_invite_and_send_each_customer_once(
    db: Database, world: WorkerWorld, smtp_server: SmtpServer
) -> None:
    _due_customers(db, 30)
    world.start_worker(workers=2)
    world.start_worker(workers=2)
    jobs = world.queue()
    for _ in range(4):  # four sweeps racing on four threads in two processes
        jobs.enqueue(time_rules.SWEEP_JOB)
    wait_for(lambda: _statuses(db).get("sent") == 30, what=f"30 sent; worker said: {world.output()}")
    jobs.enqueue(sending.SEND_JOB)
    jobs.enqueue(time_rules.SWEEP_JOB)
    wait_for(lambda: len(jobs.huey) == 0, what="the queue to drain")
    time.sleep(1)  # the last jobs taken from the queue finish (a duplicate would show up now)
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Invitation)) == 30
    counts = smtp_server.recorder.per_recipient()
    assert len(counts) == 30 and set(counts.values()) == {1}


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    db: Database, world: WorkerWorld, smtp_server: SmtpServer
) -> None:
    _due_customers(db, 12)
    with db.unit_of_work() as session:
        time_rules.sweep(session)
    recorder = smtp_server.recorder
    recorder.hold_rcpt_at = 5  # the 6th message's conversation stops after RCPT TO: the worker is mid-send
    worker = world.start_worker(workers=1)
    world.queue().enqueue(sending.SEND_JOB)
    wait_for(recorder.holding.is_set, what=f"the worker to reach the 6th email; it said: {world.output()}")
    world.kill(worker)
    recorder.release.set()
    assert len(recorder.envelopes) == 5 and _statuses(db) == {"sent": 5, "scheduled": 7}
    assert _leased(db) == 1  # the 6th, claimed by the killed worker
    world.start_worker(workers=1)
    world.queue().enqueue(sending.SEND_JOB)
    wait_for(lambda: _statuses(db) == {"sent": 11, "scheduled": 1}, what=f"11 sent; worker said: {world.output()}")
    _let_leases_run_out(db)
    world.queue().enqueue(sending.SEND_JOB)
    wait_for(lambda: _statuses(db) == {"sent": 12}, what=f"all 12 sent; worker said: {world.output()}")
    counts = recorder.per_recipient()
    assert len(counts) == 12 and set(counts.values()) == {1}


def test_the_at_least_once_window_a_kill_after_the_server_accepted(
    db: Database, world: WorkerWorld, smtp_server: SmtpServer
) -> None:
    """Documented, not hidden: killed after the SMTP server accepted a message but before the worker recorded
    `sent`, that one invitation is sent again once its lease has run out (docs/triggers-and-worker.md)."""
    _due_customers(db, 4)
    with db.unit_of_work() as session:
        time_rules.sweep(session)
    recorder = smtp_server.recorder
    recorder.hold_data_at = 2  # the 2nd message is accepted, the server's reply held
    worker = world.start_worker(workers=1)
    world.queue().enqueue(sending.SEND_JOB)
    wait_for(recorder.holding.is_set, what=f"the 2nd email; worker said: {world.output()}")
    world.kill(worker)
    recorder.release.set()
    world.start_worker(workers=1)
    world.queue().enqueue(sending.SEND_JOB)
    wait_for(lambda: _statuses(db) == {"sent": 3, "scheduled": 1}, what=f"3 sent; worker said: {world.output()}")
    _let_leases_run_out(db)
    world.queue().enqueue(sending.SEND_JOB)
    wait_for(lambda: _statuses(db) == {"sent": 4}, what=f"all 4 sent; worker said: {world.output()}")
    counts = recorder.per_recipient()
    assert len(counts) == 4 and sorted(counts.values()) == [1, 1, 1, 2]


def test_reminders_go_once_to_those_who_have_not_answered(
    db: Database, world: WorkerWorld, smtp_server: SmtpServer
) -> None:
    _due_customers(db, 3)
    with db.unit_of_work() as session:
        time_rules.sweep(session)
        survey_id = session.scalars(select(Invitation.survey_id)).first()
        session.get_one(Survey, survey_id).reminder_after_days = 3
    world.start_worker(workers=2)
    jobs = world.queue()
    jobs.enqueue(sending.SEND_JOB)
    wait_for(lambda: _statuses(db) == {"sent": 3}, what=f"3 sent; worker said: {world.output()}")
    with db.unit_of_work() as session:
        invitations = session.scalars(select(Invitation).order_by(Invitation.id)).all()
        for invitation in invitations:  # sent four days ago
            invitation.sent_at = utcnow() - timedelta(days=4)
        invitations[0].status, invitations[0].answered_at = "answered", utcnow()
    for _ in range(3):
        jobs.enqueue(sending.REMIND_JOB)
    wait_for(lambda: _reminded(db) == [False, True, True], what=f"2 reminders; worker said: {world.output()}")
    wait_for(lambda: len(jobs.huey) == 0, what="the queue to drain")
    time.sleep(1)  # the last reminder jobs taken from the queue finish (a second reminder would show up now)
    assert _reminded(db) == [False, True, True]
    assert sorted(smtp_server.recorder.per_recipient().values()) == [1, 2, 2]


def test_an_invitation_made_by_hand_goes_out_within_seconds(
    db: Database, world: WorkerWorld, smtp_server: SmtpServer
) -> None:
    """POST /api/v1/invitations queues its send after commit: no waiting for the minute sweep (the worker here runs
    without the periodic scheduler, so only the queued job can send it)."""
    with db.unit_of_work() as session:
        survey_key = live_survey(session).key
        make_customer(session, external_id="c-9", email="manual@example.com")
    world.start_worker(workers=1)
    wait_for(lambda: "cxloop worker:" in world.output(), what="the worker to start")
    with TestClient(create_app(world.settings, database=db)) as client:
        dispatch.install(queue.enqueuer(world.settings, name=world.queue_name))
        body = {"survey": survey_key, "customer_external_id": "c-9", "channel": "email"}
        started = time.monotonic()
        created = client.post("/api/v1/invitations", json=body, headers=make_key(db, Role.agent))
        assert created.status_code == 201 and created.json()["status"] == "scheduled", created.text
        wait_for(
            lambda: smtp_server.recorder.per_recipient() == {"manual@example.com": 1},
            timeout=5,
            what=f"the email within 5 s; worker said: {world.output()}",
        )
        assert time.monotonic() - started < 5  # before the app shuts down: its teardown is not the send's time
    wait_for(lambda: _statuses(db) == {"sent": 1}, what="the send to be recorded")
