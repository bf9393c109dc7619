"""The demo's teams, rules and year of cases: built through the services, agreeing with the SLA report, and the
detractor rule still firing on new feedback after the build (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cxloop.access import service as access
from cxloop.alerts import service as alerts
from cxloop.cases import service as cases
from cxloop.cases.models import Case, CaseActivity, CaseSlaMark, CaseVerification, FollowUp, FollowUpReply
from cxloop.cases.schemas import EVERY_CASE
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.core.clock import ensure_utc
from cxloop.demo.builder import DemoSummary, build_demo
from cxloop.demo.casework import ROOT_CAUSES, CaseworkSummary
from cxloop.demo.closing import SENT_DETAIL
from cxloop.demo.staff import DEMO_PASSWORD, PEOPLE, TEAMS, sign_in_users
from cxloop.invitations import service as invitations
from cxloop.storage.database import Database
from cxloop.timeline import service as timeline
from cxloop.timeline.sources import View
from cxloop.worker import build_relay
from tests.cases.test_report_and_cli import recount
from tests.demo.test_builder import ANCHOR


def _build(db: Database) -> DemoSummary:
    return build_demo(db, seed=3, customers=400, today=ANCHOR)


def test_the_demo_has_teams_users_rules_and_a_year_of_cases_that_agree_with_the_sla_report(db: Database) -> None:
    """...and closes the loop (one build checked for both: a demo build is the slow part)."""
    summary = _build(db)
    _closes_the_loop_with_follow_ups_a_holdout_and_answered_re_surveys(db, summary.casework)
    work = summary.casework
    assert summary.teams == len(TEAMS) and summary.users == len(PEOPLE)
    # About one survey answer per customer and year (10-30 % of invitations answered): some 25 cases here.
    assert work.cases >= 15 and work.closed + work.open_at_end == work.cases
    assert work.reopened >= 1 and work.breaches >= 1
    with db.unit_of_work() as session:
        teams = {t.key: t for t in access.list_teams(session)}
        assert set(teams) == {"support", "success", "product"}
        for team in teams.values():
            assert team.lead_user_id is not None and team.business_hours and team.holidays
            assert access.team_member_ids(session, team_id=team.id)
        for person in sign_in_users():
            assert access.authenticate_user(session, email=person.email, password=DEMO_PASSWORD).email == person.email
        rules = {r.name: alerts.draft_of(r) for r in alerts.list_rules(session, enabled=True)}
        assert len(rules) == 4
        assert rules["A score drops"].source == "anomaly"
        detractors = rules["Relationship NPS detractor opens a case"]
        assert [c.field for c in detractors.conditions] == ["nps", "survey"]
        assert {a.kind for a in detractors.actions} == {"open_case", "notify"}
        assert any(c.field == "csat" and c.value == 2 for r in rules.values() for c in r.conditions)
        assert any(c.op == "contains" for r in rules.values() for c in r.conditions)
        assert [r.name for r in cases.list_rules(session)][0] == "The account's owner"
        assert len([p for p in cases.list_policies(session) if p.id is not None]) == 4

        rows = session.scalars(select(Case).order_by(Case.id)).all()
        start = datetime(ANCHOR.year - 1, ANCHOR.month, ANCHOR.day, tzinfo=UTC)
        end = datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, tzinfo=UTC)
        assert all(start <= ensure_utc(c.created_at) < end for c in rows)
        # Spread over the year (some 25 cases in 400 customers: most months have one), handled by every team.
        assert len({ensure_utc(c.created_at).month for c in rows}) >= 8
        assert {c.team_id for c in rows} == {t.id for t in teams.values()}
        closed = [c for c in rows if c.status == "closed"]
        causes = {c.root_cause_id for c in closed}
        assert None not in causes and len(causes) >= 3 and all(c.resolution for c in closed)
        assert {rc.key for rc in cases.list_root_causes(session)} >= set(ROOT_CAUSES)
        assert sum(1 for c in rows if c.reopened) == work.reopened
        breaches = session.scalars(select(CaseSlaMark).where(CaseSlaMark.kind == "breach")).all()
        assert 1 <= len(breaches) <= work.breaches  # a reopening clears its case's close-clock marks
        # The activity log is the services' own, at the moments the timestamps say.
        for case in closed[:20]:
            log = session.scalars(
                select(CaseActivity).where(CaseActivity.case_id == case.id).order_by(CaseActivity.id)
            ).all()
            kinds = Counter(a.kind for a in log)
            assert kinds["opened"] == 1 and kinds["status"] >= 3
            assert kinds["response"] + kinds["follow_up_sent"] >= 1  # a call noted, or an email follow-up
            moments = [ensure_utc(a.at) for a in log]
            assert moments == sorted(moments) and moments[0] == ensure_utc(case.created_at)
            assert ensure_utc(case.closed_at) in moments
            assert case.acknowledged_at <= case.first_response_at <= case.closed_at
        # Most within the SLA, some not.
        report = cases.sla_report(session, by="team", as_of=end)
        exported = [
            {k: "" if v is None else str(v) for k, v in cases.case_json(row).items()}
            for batch in cases.iter_case_rows(session, as_of=end)
            for row in batch
        ]
    for row in report.rows:
        expected = recount(exported, row.group)
        assert (row.acknowledged_within_2h.successes, row.acknowledged_within_2h.n) == expected["ack2"]
        assert (row.closed_within_48h.successes, row.closed_within_48h.n) == expected["close48"]
        assert row.cases == expected["cases"]
    overall = [r.acknowledged_within_6h for r in report.rows]
    within = sum(s.successes for s in overall) / sum(s.n for s in overall)
    assert 0.6 < within < 1.0


def test_the_detractor_rule_fires_on_a_new_detractor_after_the_build(db: Database) -> None:
    _build(db)
    with db.unit_of_work() as session:
        before = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
        stored = collection.record_responses(
            session,
            items=[
                ResponseCreate(survey="relationship-nps", customer_external_id="new-detractor", nps=4),
                ResponseCreate(survey="relationship-nps", customer_external_id="new-promoter", nps=10),
            ],
        ).ids
    relay = build_relay(db)
    while relay.run_pass():  # the worker's relay: the demo's own events, then these
        pass
    with db.unit_of_work() as session:
        made = alerts.list_alerts(session, limit=5)
        fired = [a for a in made if a.source_id in stored]
        assert [a.source_id for a in fired] == [stored[0]]
        case = cases.require_case(session, case_id=fired[0].case_id)
        assert case.id > (before or 0)
        support = access.require_team(session, key="support")
        assert case.team_id == support.id and case.owner_user_id in access.team_member_ids(session, team_id=support.id)
        # The demo's own responses were not fired a second time by the relay.
        assert session.scalar(select(Case.id).where(Case.id > (before or 0), Case.id != case.id)) is None
        assert ensure_utc(case.created_at) > datetime.now(UTC) - timedelta(minutes=5)


def _closes_the_loop_with_follow_ups_a_holdout_and_answered_re_surveys(db: Database, work: CaseworkSummary) -> None:
    assert work.follow_ups > 0 and work.customer_replies >= 1
    assert 0 < work.verifications_answered < work.verifications
    with db.unit_of_work() as session:
        # Nothing is left for the worker to send: every follow-up was recorded as sent (or refused), every
        # re-survey invitation marked sent.
        rows = session.scalars(select(FollowUp)).all()
        assert {r.status for r in rows} <= {"sent", "failed"}
        sent = [r for r in rows if r.status == "sent"]
        assert sent and all(r.detail == SENT_DETAIL for r in sent)
        assert {r.template for r in sent} >= {"apology", "we-fixed-it"}
        assert any(r.improvement_id is not None for r in sent)
        assert {r.locale for r in sent} > {None}  # some customers got their language's wording
        checks = session.scalars(select(CaseVerification).where(CaseVerification.invitation_id.is_not(None))).all()
        statuses = {invitations.get(session, v.invitation_id or 0).status for v in checks}
        assert statuses and "scheduled" not in statuses
        # An apology is the case's first response, at the moment it was sent.
        apology = next(r for r in sent if r.template == "apology")
        case = cases.require_case(session, case_id=apology.case_id)
        assert case.first_response_at is not None and ensure_utc(case.first_response_at) == ensure_utc(apology.sent_at)
        assert ensure_utc(case.acknowledged_at) <= ensure_utc(apology.sent_at)
        # Follow-ups and replies are on the customer's timeline.
        reply = session.scalars(select(FollowUpReply)).first()
        assert reply is not None
        page = timeline.customer_timeline(
            session, customer_id=reply.customer_id, view=View(case_scope=EVERY_CASE), limit=200
        )
        kinds = {entry.kind for entry in page.items}
        assert {"follow_up", "follow_up_reply"} <= kinds
        # No follow-up ever reached a held-out case.
        held_out = {c.id for c in session.scalars(select(Case).where(Case.held_out.is_(True)))}
        assert held_out and not held_out & {r.case_id for r in rows}

        recovery = cases.recovery_report(session)
        assert recovery.metrics and all(m.total.n > 0 for m in recovery.metrics)
        assert sum(m.total.recovered for m in recovery.metrics) > 0
        holdout = cases.holdout_report(session)
        assert holdout.churn.followed_up.n > 0 and holdout.churn.held_out.n > 0
        assert any(s.followed_up.n > 0 and s.held_out.n > 0 for s in holdout.scores)
