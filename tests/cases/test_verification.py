"""Verification re-surveys: N days after a case is resolved its customer is invited once (job run twice, restarted
worker), through the contact policy and the real email channel (aiosmtpd); the answer puts the before/after score on
the case (API and CLI), is logged and emits `verification.answered`; reopened cases, policies set to 0 and cases
opened on unscored feedback get none; the holdout assignment is stable by customer."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction, CaseStatus, TriggerSource
from cxloop.cases.models import Case, CaseActivity, CaseVerification
from cxloop.cases.schemas import SYSTEM, CaseOpen, RoutingRuleIn, SlaPolicyIn, TriggerRef
from cxloop.cases.verification_tasks import run_verifications
from cxloop.channels.delivery import deliver
from cxloop.cli.main import app
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core.config import Settings
from cxloop.invitations import service as invitations
from cxloop.invitations.answers import record_answers
from cxloop.invitations.models import Invitation
from cxloop.jobs import NoPayload
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.triggers.tasks import send_due
from cxloop.worker import Runtime, build_relay
from tests.cases.test_lifecycle import events
from tests.cases.test_report_and_cli import cli  # noqa: F401 - the CLI fixture
from tests.channels.messaging.conftest import SmtpServer, settings, sms_server, smtp_server  # noqa: F401 - fixtures
from tests.channels.messaging.world import make_survey, signer_of
from tests.factories.cases import make_team, open_case
from tests.factories.customers import make_customer


def _daytime_zone() -> str:
    """A fixed-offset zone where it is about noon now, so neither quiet hours nor the clock stop the email."""
    shift = 12 - datetime.now(UTC).hour  # local = UTC + shift, within -12..+12
    return f"Etc/GMT{-shift:+d}" if shift else "UTC"


def unhappy_case(db: Database, *, score: int = 3, survey_key: str = "relationship-nps") -> tuple[int, int]:
    """A customer who answered the NPS survey with `score`, and the case it opened; (case id, customer id)."""
    with db.unit_of_work() as session:
        team = make_team(session)
        cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=team.id)])
        if surveys.get_survey(session, key=survey_key) is None:
            make_survey(session, key=survey_key)
        customer = make_customer(session, email=f"c{score}-{team.id}@example.com", timezone=_daytime_zone())
        item = ResponseCreate.model_validate(
            {
                "survey": survey_key,
                "customer_external_id": customer.external_id,
                "channel": "email",
                "answers": {"nps": score},
            }
        )
        (response_id,) = collection.record_responses(session, items=[item]).ids
        trigger = TriggerRef(source=TriggerSource.response, id=response_id)
        case, _ = cases.open_case(session, data=CaseOpen(customer_id=customer.id, triggers=[trigger]), actor=SYSTEM)
        return case.id, customer.id


def resolve(db: Database, case_id: int, *, days_ago: float) -> None:
    with db.unit_of_work() as session:
        cases.transition(session, case_id=case_id, action=CaseAction.resolve, actor=SYSTEM, resolution="refunded")
    with db.unit_of_work() as session:
        resolved = datetime.now(UTC) - timedelta(days=days_ago)
        session.execute(update(Case).where(Case.id == case_id).values(resolved_at=resolved))


def verification_survey(db: Database) -> None:
    """The survey that asks re-surveys, from its template (every invitation may be answered)."""
    with db.unit_of_work() as session:
        assert make_survey(session, "case-verify-nps").response_limit == "per_invitation"


def detail_team(db: Database, case_id: int) -> int | None:
    with db.unit_of_work() as session:
        return session.get_one(Case, case_id).team_id


def jobs_runtime(db: Database) -> Any:
    return SimpleNamespace(database=db)


def verifications(db: Database) -> list[CaseVerification]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(CaseVerification).order_by(CaseVerification.id)))


def test_a_due_case_is_re_surveyed_once_by_email_and_the_answer_lands_on_the_case(
    db: Database,
    settings: Settings,  # noqa: F811
    smtp_server: SmtpServer,  # noqa: F811
    api: TestClient,
    cli: CliRunner,  # noqa: F811
) -> None:
    verification_survey(db)
    case_id, customer_id = unhappy_case(db, score=3)
    resolve(db, case_id, days_ago=8)
    runtime = Runtime(settings=settings, database=db, signer=signer_of(settings), deliver=deliver)
    first = run_verifications(runtime)
    second = run_verifications(Runtime(settings=settings, database=db, signer=signer_of(settings), deliver=deliver))
    assert (first.scheduled, second.scheduled) == (1, 0)  # a restarted worker's run finds the case verified
    send_due(runtime, NoPayload())
    send_due(runtime, NoPayload())
    (verification,) = verifications(db)
    assert (verification.case_id, verification.metric, verification.before_score) == (case_id, "nps", 3)
    assert verification.status == "scheduled" and verification.invitation_id is not None
    with db.unit_of_work() as session:
        invitation = session.get_one(Invitation, verification.invitation_id)
        assert (invitation.customer_id, invitation.status, invitation.channel) == (customer_id, "sent", "email")
        assert invitation.occurrence_key == f"case-verification:{case_id}"
    (message,) = smtp_server.recorder.messages
    assert message["To"] == f"c3-{detail_team(db, case_id)}@example.com"
    detail = api.get(f"/api/v1/cases/{case_id}").json()
    assert detail["verification"]["invitation_status"] == "sent" and detail["verification"]["after_score"] is None

    with db.unit_of_work() as session:
        record_answers(
            session, session.get_one(Invitation, verification.invitation_id), {"nps": 9}, channel="email", complete=True
        )
    build_relay(db).run_pass()
    build_relay(db).run_pass()  # a second pass records nothing again
    (answered,) = verifications(db)
    assert (answered.status, answered.before_score, answered.after_score) == ("answered", 3, 9)
    assert events(db, "verification.answered") == [{"verification_ids": [answered.id]}]
    detail = api.get(f"/api/v1/cases/{case_id}").json()
    assert (detail["verification"]["before_score"], detail["verification"]["after_score"]) == (3, 9)
    kinds = [a["kind"] for a in detail["activity"]]
    assert kinds.count("verification_sent") == 1 and kinds.count("verification_answered") == 1
    shown = cli.invoke(app, ["cases", "show", str(case_id)])
    assert shown.exit_code == 0, shown.output
    assert "answered: NPS 3 -> 9" in shown.output


def test_a_case_reopened_before_its_re_survey_gets_none(db: Database) -> None:
    verification_survey(db)
    case_id, _ = unhappy_case(db)
    resolve(db, case_id, days_ago=8)
    with db.unit_of_work() as session:
        cases.transition(session, case_id=case_id, action=CaseAction.reopen, actor=SYSTEM)
    assert run_verifications(jobs_runtime(db)).scheduled == 0
    assert verifications(db) == []
    with db.unit_of_work() as session:
        case = session.get_one(Case, case_id)
        assert case.status == CaseStatus.in_progress and case.resolved_at is None
        assert session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_reopening_calls_off_an_unsent_re_survey_and_the_next_resolution_gets_its_own(db: Database) -> None:
    verification_survey(db)
    case_id, _ = unhappy_case(db)
    resolve(db, case_id, days_ago=8)
    assert run_verifications(jobs_runtime(db)).scheduled == 1  # made, not sent yet (send_due has not run)
    (made,) = verifications(db)
    with db.unit_of_work() as session:
        cases.transition(session, case_id=case_id, action=CaseAction.reopen, actor=SYSTEM)
    assert verifications(db) == []
    with db.unit_of_work() as session:
        assert session.get_one(Invitation, made.invitation_id).status == "expired"
        kinds = session.scalars(select(CaseActivity.kind).where(CaseActivity.case_id == case_id)).all()
        assert "verification_cancelled" in kinds
    resolve(db, case_id, days_ago=8)
    assert run_verifications(jobs_runtime(db)).scheduled == 1
    (again,) = verifications(db)
    with db.unit_of_work() as session:
        invitation = session.get_one(Invitation, again.invitation_id)
        assert invitation.occurrence_key == f"case-verification:{case_id}:1" and invitation.status == "scheduled"
        invitations.mark_sent(invitation)  # sent: a reopening leaves it be
    with db.unit_of_work() as session:
        cases.transition(session, case_id=case_id, action=CaseAction.reopen, actor=SYSTEM)
    (kept,) = verifications(db)
    assert kept.id == again.id


def test_not_due_yet_off_and_unscored_cases(db: Database) -> None:
    verification_survey(db)
    early, _ = unhappy_case(db)
    resolve(db, early, days_ago=3)  # the default is 7 days
    off, _ = unhappy_case(db)
    with db.unit_of_work() as session:
        team_id = session.get_one(Case, off).team_id
        cases.replace_policies(session, items=[SlaPolicyIn(team_id=team_id, verify_after_days=0)])
        unscored_customer = make_customer(session)
        other = make_team(session).id  # the default policy: 7 days
        unscored = open_case(session, unscored_customer.id, 987654, team_id=other)[0].id  # an item with no rating
    resolve(db, off, days_ago=30)
    resolve(db, unscored, days_ago=30)
    result = run_verifications(jobs_runtime(db))
    assert (result.scheduled, result.skipped) == (0, 2)
    rows = {v.case_id: v for v in verifications(db)}
    assert early not in rows
    assert rows[off].status == "skipped" and "off" in (rows[off].reason or "")
    assert rows[unscored].status == "skipped" and "no scored feedback" in (rows[unscored].reason or "")
    with db.unit_of_work() as session:
        session.execute(
            update(Case).where(Case.id == early).values(resolved_at=datetime.now(UTC) - timedelta(days=7, minutes=1))
        )
    assert run_verifications(jobs_runtime(db)).scheduled == 1


def test_the_same_survey_is_used_without_a_verification_survey_and_the_contact_policy_decides(db: Database) -> None:
    case_id, _ = unhappy_case(db)  # relationship-nps allows one answer per 60 days: the customer just answered
    resolve(db, case_id, days_ago=8)
    assert run_verifications(jobs_runtime(db)).suppressed == 1
    (row,) = verifications(db)
    with db.unit_of_work() as session:
        invitation = session.get_one(Invitation, row.invitation_id)
        assert (row.status, invitation.status, row.reason) == ("suppressed", "suppressed", invitation.reason)
        assert row.reason is not None
        assert row.survey_id == invitation.survey_id


@pytest.mark.parametrize("percent", [0.0, 30.0])
def test_holdout_is_assigned_when_a_case_opens_by_a_stable_hash_of_the_customer(db: Database, percent: float) -> None:
    with db.unit_of_work() as session:
        team = make_team(session)
        cases.replace_rules(session, items=[RoutingRuleIn(name="all", team_id=team.id)])
        cases.replace_policies(session, items=[SlaPolicyIn(holdout_percent=percent)])
        opened = [open_case(session, make_customer(session).id, 1000 + n)[0] for n in range(60)]
        held = {c.customer_id: c.held_out for c in opened}
    for customer_id, was_held in held.items():
        digest = hashlib.sha256(f"case-holdout:{customer_id}".encode()).digest()
        assert was_held == (int.from_bytes(digest[:8], "big") / 2**64 * 100 < percent)
        with db.unit_of_work() as session:
            (again,) = session.scalars(select(Case).where(Case.customer_id == customer_id)).all()
            assert cases.is_held_out(again) == was_held
    assert (sum(held.values()) > 0) == (percent > 0)


def test_the_policy_settings_are_bounded_and_named_when_wrong(api: TestClient) -> None:
    stored = api.put("/api/v1/sla-policies", json={"items": [{"verify_after_days": 14, "holdout_percent": 10}]})
    assert stored.status_code == 200, stored.text
    assert (stored.json()[0]["verify_after_days"], stored.json()[0]["holdout_percent"]) == (14, 10)
    for field, value in (("verify_after_days", -1), ("verify_after_days", 366), ("holdout_percent", 51)):
        refused = api.put("/api/v1/sla-policies", json={"items": [{field: value}]})
        assert refused.status_code == 422
        assert any(field in e["field"] for e in refused.json()["errors"]), refused.text
    assert api.get("/api/v1/sla-policies").json()[0]["verify_after_days"] == 14


def test_batches_go_past_cases_not_due_yet(db: Database) -> None:
    verification_survey(db)
    made = []
    for n in range(7):
        case_id, _ = unhappy_case(db)
        resolve(db, case_id, days_ago=8 if n % 2 else 2)  # cases 0, 2, 4, 6 are not due yet
        made.append(case_id)
    after_id, scheduled, now = 0, 0, datetime.now(UTC)
    while True:
        with db.unit_of_work() as session:
            result = cases.verify_due(session, now=now, after_id=after_id, limit=2)
        scheduled += result.scheduled
        if result.last_id is None:
            break
        after_id = result.last_id
    assert scheduled == 3
    assert sorted(v.case_id for v in verifications(db)) == [made[1], made[3], made[5]]


def test_two_workers_at_once_make_one_re_survey(db: Database) -> None:
    verification_survey(db)
    case_id, _ = unhappy_case(db)
    resolve(db, case_id, days_ago=8)
    start = threading.Barrier(2)

    def run() -> int:
        start.wait()
        return run_verifications(jobs_runtime(db)).scheduled

    with ThreadPoolExecutor(2) as pool:
        made = [f.result() for f in [pool.submit(run), pool.submit(run)]]
    assert sorted(made) == [0, 1]
    (row,) = verifications(db)
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Invitation)) == 1
        kinds = session.scalars(select(CaseActivity.kind).where(CaseActivity.case_id == case_id)).all()
        assert list(kinds).count("verification_sent") == 1
