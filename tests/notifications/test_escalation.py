"""SLA escalation by email: a warning before due goes to the case's owner, a breach to the team lead, each naming
the case, the clock, how late, the owner and the customer with a link; through a real SMTP server (aiosmtpd), once
per case and clock, also when the event is replayed and the relay and sender are built anew (a worker restart)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from sqlalchemy import select, update

from cxloop.cases import service as cases
from cxloop.cases.models import Case
from cxloop.cases.schemas import RoutingRuleIn, SlaPolicyIn
from cxloop.core.config import Settings
from cxloop.jobs import service as outbox_service
from cxloop.jobs.models import OutboxEvent
from cxloop.notifications import service as notifications
from cxloop.notifications.models import Message
from cxloop.storage.database import Database
from cxloop.worker import build_relay, build_sender
from tests.factories.cases import make_team, make_user, open_case
from tests.factories.customers import make_account, make_customer
from tests.jobs.conftest import SmtpServer
from tests.jobs.conftest import smtp_server as smtp_server  # noqa: F401 - the fixture
from tests.notifications.conftest import FAST, messages, store_feedback

PUBLIC = "https://cx.example.com"


def _relay(db: Database) -> None:
    relay = build_relay(db)
    while relay.run_pass():
        pass


def _mails(smtp_server: SmtpServer) -> list[tuple[list[str], str, str]]:
    out = []
    for envelope in smtp_server.recorder.envelopes:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        out.append((envelope.rcpt_tos, str(mail["Subject"]), mail.get_content().replace("\r\n", "\n")))
    return out


def _backdate(db: Database, case_id: int, minutes: int) -> None:
    """Move a case's creation and due times back, so the sweep at the real now (the events' time) finds it due."""
    names = ("created_at", "acknowledge_due_at", "first_response_due_at", "close_due_at")
    with db.unit_of_work(write=True) as session:
        case = session.get_one(Case, case_id)
        values = {name: getattr(case, name) - timedelta(minutes=minutes) for name in names}
        session.execute(update(Case).where(Case.id == case_id).values(**values))


def _world(db: Database) -> dict[str, int]:
    [feedback_id] = store_feedback(db, text="Still no refund after three weeks", rating=1)
    with db.unit_of_work(write=True) as session:
        agent = make_user(session, email="ann@example.com", name="Ann Agent")
        lead = make_user(session, email="lee@example.com", name="Lee Lead")
        team = make_team(session, members=[agent], lead_user_id=lead.id, name="Support")
        cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=team.id)])
        cases.replace_policies(session, items=[SlaPolicyIn(team_id=team.id, warn_minutes=30, reassign_to_lead=True)])
        make_account(session, external_id="acme", name="Acme Ltd", plan="enterprise", arr="120000")
        customer = make_customer(session, external_id="c-42", name="Jane Roe", account_external_id="acme")
        case_id = open_case(session, customer.id, feedback_id)[0].id
    return {"agent": agent.id, "lead": lead.id, "case": case_id}


def test_a_warning_goes_to_the_owner_and_a_breach_to_the_lead_once(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    world = _world(db)
    configured = settings.model_copy(update={"smtp_url": smtp_server.url, "public_url": PUBLIC})
    _backdate(db, world["case"], 100)  # acknowledge due in 20 minutes: a warning
    with db.unit_of_work(write=True) as session:
        assert cases.sweep(session, now=datetime.now(UTC)).warnings == 1
    _relay(db)
    sender = build_sender(configured, db, policy=FAST)
    assert sender.run_pass() == 1
    _backdate(db, world["case"], 35)  # due 15 minutes ago: a breach
    with db.unit_of_work(write=True) as session:
        assert cases.sweep(session, now=datetime.now(UTC)).breaches == 1
    _relay(db)
    assert sender.run_pass() == 1
    sender.close()

    (warn_to, warn_subject, warn_text), (breach_to, breach_subject, breach_text) = _mails(smtp_server)
    case_id = world["case"]
    assert warn_to == ["ann@example.com"] and breach_to == ["lee@example.com"]
    assert warn_subject == f"SLA warning: acknowledge of case {case_id} (due in 20 min)"
    assert breach_subject == f"SLA breached: acknowledge of case {case_id} (15 min late)"
    for text in (warn_text, breach_text):
        assert f"{PUBLIC}/cases/{case_id}" in text
        assert "Customer: Jane Roe (c-42) · Acme Ltd (plan enterprise, ARR 120,000)" in text
        assert '"Still no refund after three weeks"' in text and "rating 1" in text
    assert "owner: Ann Agent\n" in warn_text
    assert "owner: Ann Agent (now Lee Lead)" in breach_text  # the policy reassigned it to the lead
    assert f"The acknowledge SLA of case {case_id} breached: due 20" in breach_text
    assert " UTC, 15 min late.\n" in breach_text

    # A replay of every event, a new relay and a new sender (a restarted worker): no second email.
    with db.unit_of_work(write=True) as session:
        event_ids = list(session.scalars(select(OutboxEvent.id)))
        outbox_service.replay_events(session, event_ids=event_ids)
    _relay(db)
    again = build_sender(configured, db, policy=FAST)
    assert again.run_pass() == 0
    again.close()
    assert len(smtp_server.recorder.envelopes) == 2
    personal = [m for m in messages(db) if m.event_name.startswith("case.sla")]
    assert len(personal) == 2 and all(m.status == "delivered" for m in personal)


def test_the_reassignment_logs_its_reason_on_the_case(db: Database) -> None:
    world = _world(db)
    with db.unit_of_work(write=True) as session:
        cases.sweep(session, now=datetime.now(UTC) + timedelta(minutes=125))
        case = cases.require_case(session, case_id=world["case"])
        escalated = [a for a in cases.case_detail(session, case).activity if a.kind == "escalated"]
    assert len(escalated) == 1
    assert escalated[0].detail["reason"] == "the acknowledge SLA was breached; the policy reassigns to the team lead"
    assert (escalated[0].detail["from_user_id"], escalated[0].detail["to_user_id"]) == (world["agent"], world["lead"])


def test_a_person_destination_takes_no_subscribed_events(db: Database) -> None:
    world = _world(db)
    with db.unit_of_work(write=True) as session:
        cases.sweep(session, now=datetime.now(UTC) + timedelta(minutes=125))
    _relay(db)
    store_feedback(db)  # a feedback.received event: the lead's inbox is subscribed to nothing
    with db.unit_of_work() as session:
        names = list(session.scalars(select(Message.event_name)))
    assert names == ["case.sla_breached"]
    with db.unit_of_work() as session:
        [inbox] = notifications.list_destinations(session)
    assert (inbox.kind, inbox.url, inbox.events, inbox.user_id) == (
        "email",
        "mailto:lee@example.com",
        [],
        world["lead"],
    )
