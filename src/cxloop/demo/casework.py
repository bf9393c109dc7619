"""A year of closing the loop in the demo: alert rules, routing rules, SLA policies, root causes, and the cases the
rules opened on the year's responses, handled by the teams (docs/demo.md "Cases").

Everything goes through the services, played forward in time order with the clock pinned to each moment
(`core.clock.pinned`): each response a rule matches is fired through `alerts.fire` a few seconds after it arrived
(so the alert, the case, its routing and due times are what the worker would have made), then the owner
acknowledges, answers the customer, resolves with a root cause and a written resolution and closes, in working time
drawn so most cases meet their SLA and some do not; a few are reopened. The SLA sweep runs at the moments a clock
comes due on a case that is still waiting, so the warnings, breaches and escalations in the log are the sweep's own.
Cases whose next step would fall after the demo's end stay open, as on any real day.

The loop is closed as the worker and the sender would close it (demo/closing.py): follow-ups asked for and recorded
as sent, customers' replies, an improvement announced, a holdout of customers who get no follow-up, and the
verification re-surveys made, marked sent and partly answered; nothing is left for the worker to send.

The alerts made here are the ones the worker would make: when it later relays the demo's `response.received`
events, each (rule, response) has fired already and is skipped.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.alerts import service as alerts
from cxloop.alerts.fields import Source
from cxloop.alerts.schemas import RuleCreate
from cxloop.cases import service as cases
from cxloop.cases.enums import CaseAction, CaseStatus, VerificationStatus
from cxloop.cases.schemas import Actor, CaseAssign, RootCauseCreate, RoutingConditions, RoutingRuleIn, SlaPolicyIn
from cxloop.cases.service import sla
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseRead
from cxloop.core.business_hours import Calendar
from cxloop.core.clock import ensure_utc, pinned
from cxloop.demo import closing
from cxloop.demo.period import DemoPeriod
from cxloop.demo.staff import Staff
from cxloop.invitations import service as invitations
from cxloop.surveys import service as surveys

ROOT_CAUSES = {
    "billing-migration": "Billing migration errors",
    "pricing": "Price and value",
    "delivery-delay": "Late delivery",
    "damaged-goods": "Damaged goods",
    "product-bug": "Product defect",
    "onboarding-gap": "Onboarding gap",
    "support-wait": "Slow support",
    "support-quality": "Support did not solve it",
    "usability": "Hard to use",
}
# A comment's first theme (demo/phrases.py THEMES) -> the root cause its case is filed under.
THEME_CAUSES = {
    "billing": "billing-migration",
    "pricing": "pricing",
    "delivery": "delivery-delay",
    "product_quality": "product-bug",
    "onboarding": "onboarding-gap",
    "support_wait": "support-wait",
    "support_resolution": "support-quality",
    "ease_of_use": "usability",
}
SURVEY_CAUSES = {
    "relationship-nps": ("pricing", "product-bug", "usability", "billing-migration"),
    "post-support-csat": ("support-wait", "support-quality"),
    "post-delivery-csat": ("delivery-delay", "damaged-goods"),
    "onboarding-ces": ("onboarding-gap", "usability"),
}
RESOLUTIONS = {
    "billing-migration": "Corrected the invoice after the billing migration and issued a credit note.",
    "pricing": "Walked through the plan options; moved them to the plan that fits their usage.",
    "delivery-delay": "Chased the carrier, confirmed the new delivery date and refunded the delivery fee.",
    "damaged-goods": "Sent replacements the next day and arranged the return of the damaged items.",
    "product-bug": "Confirmed the defect with Product; the fix is released and the customer confirmed it works.",
    "onboarding-gap": "Ran a setup call and shared the onboarding checklist; the team is using it now.",
    "support-wait": "Apologised for the wait, answered the open question and added the account to priority routing.",
    "support-quality": "Reopened the original ticket, solved it end to end and checked back after a week.",
    "usability": "Showed the saved lists and bulk ordering; logged the feedback with Product.",
}
HOLDOUT_PERCENT = 10.0  # of customers whose cases get no follow-up: the holdout report's comparison arm
FOLLOW_UP_SHARE = 0.85  # of the other cases, followed up by email (the rest answered by phone or in the ticket)
CUSTOMER_REPLY_SHARE = 0.12  # of followed-up customers who write back before the case is resolved
FIX_CAUSES = ("billing-migration", "product-bug", "delivery-delay", "damaged-goods")  # "we fixed it" when resolved
VERIFY_DAYS = 7  # the SLA policies' default `verify_after_days`
IMPROVEMENT_DAYS = 110  # the billing fix is announced this many days before the demo's end (after the migration)
REPLIES = (
    "Thank you for telling us. I'm looking into this now and will come back to you today.",
    "Sorry about this. I've picked it up personally and will keep you posted.",
    "Thanks for the honest score. Could we have a quick call to understand what went wrong?",
)


def alert_rules(survey_ids: dict[str, int]) -> list[RuleCreate]:
    """The demo's rules: detractors on relationship NPS and very unhappy support or delivery answers open a case;
    comments about cancelling or refunds are tagged and notified; a score that drops (the anomaly scan's finding, in
    any segment) is notified."""
    return [
        RuleCreate.model_validate(r)
        for r in (
            {
                "name": "Relationship NPS detractor opens a case",
                "enabled": True,
                "conditions": [
                    {"field": "nps", "op": "<=", "value": 6},
                    {"field": "survey", "op": "=", "value": survey_ids["relationship-nps"]},
                ],
                "actions": [{"kind": "open_case", "priority": "normal"}, {"kind": "notify"}],
            },
            {
                "name": "CSAT of 2 or less opens a high-priority case",
                "enabled": True,
                "conditions": [{"field": "csat", "op": "<=", "value": 2}],
                "actions": [{"kind": "open_case", "priority": "high"}, {"kind": "notify"}],
            },
            {
                "name": "Comment mentions a refund",
                "enabled": True,
                "conditions": [{"field": "comment", "op": "contains", "value": "refund"}],
                "actions": [{"kind": "tag", "tags": ["refund"]}, {"kind": "notify"}],
            },
            {
                "name": "A score drops",
                "source": "anomaly",
                "enabled": True,
                "conditions": [
                    {"field": "kind", "op": "=", "value": "score"},
                    {"field": "direction", "op": "=", "value": "drop"},
                ],
                "actions": [{"kind": "notify"}],
            },
        )
    ]


def routing_rules(staff: Staff) -> list[RoutingRuleIn]:
    """The account's owner (an account manager in Success) first; delivery problems and everything else: Support."""
    return [
        RoutingRuleIn(name="The account's owner", conditions=RoutingConditions(account_owner=True)),
        RoutingRuleIn(name="Everything else to Support", team_id=staff.teams["support"]),
    ]


def sla_policies(staff: Staff) -> list[SlaPolicyIn]:
    """Working minutes of each team: Support fast, high priority faster (and escalated to the lead on a breach)."""
    support, success, product = (staff.teams[k] for k in ("support", "success", "product"))
    return [
        SlaPolicyIn(
            team_id=support,
            acknowledge_minutes=120,
            first_response_minutes=240,
            close_minutes=2880,
            holdout_percent=HOLDOUT_PERCENT,
        ),
        SlaPolicyIn(
            team_id=support,
            priority="high",
            acknowledge_minutes=60,
            first_response_minutes=120,
            close_minutes=1440,
            reassign_to_lead=True,
            holdout_percent=HOLDOUT_PERCENT,
        ),
        SlaPolicyIn(
            team_id=success,
            acknowledge_minutes=240,
            first_response_minutes=480,
            close_minutes=4320,
            holdout_percent=HOLDOUT_PERCENT,
        ),
        SlaPolicyIn(
            team_id=product,
            acknowledge_minutes=480,
            first_response_minutes=960,
            close_minutes=7200,
            holdout_percent=HOLDOUT_PERCENT,
        ),
    ]


def write_case_setup(session: Session, staff: Staff) -> None:
    """Root causes, follow-up templates, routing rules, SLA policies and the alert rules (the rules last: they fire
    from then on)."""
    have = {c.key for c in cases.list_root_causes(session)}
    for key, name in ROOT_CAUSES.items():
        if key not in have:
            cases.create_root_cause(session, data=RootCauseCreate(key=key, name=name))
    closing.write_setup(session)
    cases.replace_rules(session, items=routing_rules(staff))
    cases.replace_policies(session, items=sla_policies(staff))
    ids = {key: surveys.require_survey(session, key=key).id for key in SURVEY_CAUSES}
    for rule in alert_rules(ids):
        alerts.create_rule(session, data=rule)


@dataclass
class CaseworkSummary:
    alerts: int = 0
    cases: int = 0
    closed: int = 0
    reopened: int = 0
    breaches: int = 0
    open_at_end: int = 0
    follow_ups: int = 0  # sent: apologies, "we fixed it" and the improvement's announcements
    customer_replies: int = 0
    verifications: int = 0  # re-surveys sent
    verifications_answered: int = 0


@dataclass(order=True)
class _Step:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    case_id: int = field(compare=False, default=0)
    response_id: int = field(compare=False, default=0)
    ref: int = field(compare=False, default=0)  # a follow-up or an invitation


@dataclass
class _Plan:
    """What happens to one case, decided when it opens."""

    cause: str
    calendar: Calendar
    reopen: bool
    to_product: bool
    follow_up: bool  # the owner answers with an email follow-up (never in the holdout)
    resolve_at: datetime | None = None
    followed_up: bool = False  # a follow-up was sent


class _Play:
    def __init__(
        self,
        session: Session,
        period: DemoPeriod,
        staff: Staff,
        seed: int,
        progress: Callable[[int, int], None],
    ) -> None:
        self.session, self.period, self.staff = session, period, staff
        self.progress = progress
        self.fires = self.fired = 0
        self.rng = random.Random(seed * 7919 + 17)
        self.queue: list[_Step] = []
        self.seq = 0
        self.plans: dict[int, _Plan] = {}
        # The cases, held so the session's identity map (weak references) keeps them: the services' `session.get`
        # of a case (follow-ups, re-survey answers) then finds it there instead of loading it again.
        self.cases: dict[int, object] = {}
        self.responses: dict[int, ResponseRead] = {}  # read when the play is set up; used when their case opens
        self.calendars: dict[int | None, Calendar] = {}
        self.names = {u.id: u.name or u.email for u in access.list_users(session)}
        self.sweeps: set[datetime] = set()
        self.policies = sla.Policies.load(session)  # set before the play, and not changed during it
        self.summary = CaseworkSummary()

    def push(self, at: datetime, kind: str, *, case_id: int = 0, response_id: int = 0, ref: int = 0) -> None:
        if at < self.period.end:
            self.fires += kind == "fire"
            self.seq += 1
            heapq.heappush(self.queue, _Step(at, self.seq, kind, case_id, response_id, ref))

    def calendar(self, team_id: int | None) -> Calendar:
        if team_id not in self.calendars:
            team = access.get_team(self.session, team_id=team_id) if team_id is not None else None
            self.calendars[team_id] = access.team_calendar(team) if team is not None else Calendar()
        return self.calendars[team_id]

    def run(self) -> CaseworkSummary:
        while self.queue:
            step = heapq.heappop(self.queue)
            with pinned(step.at):
                getattr(self, f"_{step.kind}")(step)
        return self.summary

    def _fire(self, step: _Step) -> None:
        made = alerts.fire(self.session, source=Source.response, ids=[step.response_id])
        self.fired += 1
        if self.fired % 50 == 0 or self.fired == self.fires:
            self.progress(self.fired, self.fires)
        self.summary.alerts += len(made)
        for alert in alerts.list_alerts(self.session, ids=made):
            if alert.case_id is not None and alert.case_id not in self.plans:
                self._opened(alert.case_id, step.response_id)

    def _opened(self, case_id: int, response_id: int) -> None:
        self.summary.cases += 1
        case = cases.require_case(self.session, case_id=case_id)
        self.cases[case_id] = case
        response = self.responses.pop(response_id, None) or collection.require_response(
            self.session, response_id=response_id
        )
        themes = [t for t in response.metadata.get("themes", []) if t in THEME_CAUSES]
        cause = THEME_CAUSES[themes[0]] if themes else self.rng.choice(SURVEY_CAUSES.get(response.survey, ("pricing",)))
        calendar = self.calendar(case.team_id)
        plan = _Plan(
            cause,
            calendar,
            self.rng.random() < 0.06,
            cause == "product-bug" and self.rng.random() < 0.5,
            follow_up=not case.held_out and self.rng.random() < FOLLOW_UP_SHARE,
        )
        self.plans[case_id] = plan
        # Working minutes to each step: most within the targets, a tail beyond them (the breaches).
        ack = self._minutes(25, 0.9, late=(150, 600))
        reply = ack + self._minutes(20, 0.8, late=(200, 500))
        resolve = reply + self._minutes(600, 0.9, late=(2900, 5000))
        acknowledged = calendar.add(case.created_at, ack)
        replied = calendar.add(case.created_at, reply)
        resolved = calendar.add(case.created_at, resolve)
        plan.resolve_at = resolved
        self.push(acknowledged, "acknowledge", case_id=case_id)
        self.push(replied, "reply", case_id=case_id)
        if plan.to_product:
            self.push(replied + timedelta(minutes=5), "to_product", case_id=case_id)
        self.push(resolved, "resolve", case_id=case_id)
        self.push(resolved + timedelta(hours=self.rng.uniform(2, 30)), "close", case_id=case_id)
        for due, done in (
            (case.acknowledge_due_at, acknowledged),
            (case.first_response_due_at, replied),
            (case.close_due_at, resolved),
        ):
            self._sweep_if_late(due, done)

    def _minutes(self, median: float, spread: float, *, late: tuple[float, float]) -> float:
        """Working minutes: log-normal around `median`, or (5 % of steps) uniformly late."""
        if self.rng.random() < 0.05:
            return self.rng.uniform(*late)
        return max(1.0, median * math.exp(self.rng.gauss(0, spread)))

    def _sweep_if_late(self, due: datetime, done: datetime) -> None:
        """The SLA sweep runs each minute in the worker; here, at the minute after a clock comes due (or enters its
        warning) on a case still waiting then. Other minutes would find nothing."""
        for moment in (due - timedelta(minutes=30), due):
            if done > moment:
                minute = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
                if minute not in self.sweeps:
                    self.sweeps.add(minute)
                    self.push(minute, "sweep")

    def _owner(self, case_id: int) -> tuple[CaseStatus, Actor]:
        """The case's status now, and its owner (who does the next step; escalation may have changed them)."""
        case = cases.require_case(self.session, case_id=case_id)
        owner = case.owner_user_id
        actor = Actor(name=self.names.get(owner, "support"), user_id=owner) if owner else Actor(name="support")
        return CaseStatus(case.status), actor

    def _actor(self, case_id: int) -> Actor:
        return self._owner(case_id)[1]

    def _acknowledge(self, step: _Step) -> None:
        status, actor = self._owner(step.case_id)
        if status == CaseStatus.new:
            cases.transition(self.session, case_id=step.case_id, action=CaseAction.acknowledge, actor=actor)

    def _reply(self, step: _Step) -> None:
        """The first answer to the customer: an apology by email (a follow-up), else a note of the call."""
        actor = self._actor(step.case_id)
        if self.plans[step.case_id].follow_up and self._ask(step, closing.APOLOGY, actor):
            return
        text = self.rng.choice(REPLIES)
        cases.add_note(self.session, case_id=step.case_id, text=text, actor=actor, response=True)

    def _ask(self, step: _Step, template: str, actor: Actor) -> bool:
        """Ask for a follow-up (not in the demo's last day: it must have left before the demo ends, as nothing
        sends it later) and have it leave when the contact policy lets it; whether it was accepted."""
        if step.at + timedelta(days=1) >= self.period.end:
            return False
        asked = closing.ask(self.session, case_id=step.case_id, template=template, actor=actor, now=step.at)
        if asked is None:
            return False
        follow_up_id, leaves = asked
        self.push(max(leaves, step.at), "deliver", case_id=step.case_id, ref=follow_up_id)
        return True

    def _deliver(self, step: _Step) -> None:
        plan = self.plans[step.case_id]
        if not closing.deliver(self.session, step.ref, now=step.at):
            return
        self.summary.follow_ups += 1
        first, plan.followed_up = not plan.followed_up, True
        if first and self.rng.random() < CUSTOMER_REPLY_SHARE:
            at = step.at + timedelta(hours=self.rng.uniform(0.5, 8))
            if plan.resolve_at is not None and at < plan.resolve_at:
                self.push(at, "customer_reply", case_id=step.case_id, ref=step.ref)

    def _customer_reply(self, step: _Step) -> None:
        closing.reply(self.session, self.rng, step.ref, now=step.at)
        self.summary.customer_replies += 1

    def _to_product(self, step: _Step) -> None:
        cases.assign(
            self.session,
            case_id=step.case_id,
            data=CaseAssign(team_id=self.staff.teams["product"]),
            actor=self._actor(step.case_id),
        )
        # The targets and hours are Product's now: the sweep comes when its close clock is due on a waiting case.
        resolve_at = self.plans[step.case_id].resolve_at
        if resolve_at is not None:
            self._sweep_if_late(cases.require_case(self.session, case_id=step.case_id).close_due_at, resolve_at)

    def _resolve(self, step: _Step) -> None:
        plan = self.plans[step.case_id]
        status, actor = self._owner(step.case_id)
        if status in (CaseStatus.resolved, CaseStatus.closed):
            return
        cases.transition(
            self.session,
            case_id=step.case_id,
            action=CaseAction.resolve,
            actor=actor,
            resolution=RESOLUTIONS[plan.cause],
            root_cause=plan.cause,
        )
        if plan.followed_up and plan.cause in FIX_CAUSES:
            self._ask(step, closing.FIXED, actor)

    def _close(self, step: _Step) -> None:
        plan = self.plans[step.case_id]
        cases.transition(self.session, case_id=step.case_id, action=CaseAction.close, actor=self._actor(step.case_id))
        if plan.resolve_at is not None:  # the re-survey, its policy's days after the resolution (in the window)
            at = plan.resolve_at + timedelta(days=VERIFY_DAYS, hours=self.rng.uniform(1, 4))
            if at + timedelta(days=2) < self.period.end:
                self.push(at, "verify", case_id=step.case_id)
        if plan.reopen:
            plan.reopen = False  # once
            self.push(step.at + timedelta(days=self.rng.uniform(1, 10)), "reopen", case_id=step.case_id)

    def _reopen(self, step: _Step) -> None:
        plan = self.plans[step.case_id]
        customer_id = cases.require_case(self.session, case_id=step.case_id).customer_id
        still_open = (CaseStatus.new, CaseStatus.acknowledged, CaseStatus.in_progress, CaseStatus.resolved)
        if (
            customer_id is not None
            and cases.list_cases(self.session, status=still_open, customer_id=customer_id, limit=1)[0]
        ):
            return  # a customer has one open case at a time: what they wrote back goes to the one already open
        cases.transition(
            self.session,
            case_id=step.case_id,
            action=CaseAction.reopen,
            actor=Actor(name="customer replied"),
            note="The customer wrote back: the problem is not gone.",
        )
        resolved = plan.calendar.add(step.at, self._minutes(300, 0.7, late=(1500, 3000)))
        plan.resolve_at = resolved
        self.push(resolved, "resolve", case_id=step.case_id)
        self.push(resolved + timedelta(hours=self.rng.uniform(2, 30)), "close", case_id=step.case_id)
        self._sweep_if_late(cases.require_case(self.session, case_id=step.case_id).close_due_at, resolved)

    def _verify(self, step: _Step) -> None:
        """The worker's re-survey job for this case; its invitation recorded as sent when it would leave."""
        made_now = cases.verify_case(self.session, case_id=step.case_id, now=step.at, policies=self.policies)
        if made_now != VerificationStatus.scheduled:
            return
        made = cases.verification_of(self.session, case_id=step.case_id)
        if made is not None and made.invitation_id is not None:
            leaves = invitations.get(self.session, made.invitation_id).scheduled_for
            self.push(max(ensure_utc(leaves), step.at), "survey_sent", case_id=step.case_id, ref=made.invitation_id)

    def _survey_sent(self, step: _Step) -> None:
        if not closing.survey_sent(self.session, step.ref, now=step.at):
            return
        self.summary.verifications += 1
        if self.rng.random() < closing.ANSWER_SHARE:
            hours = min(72.0, 6 * math.exp(self.rng.gauss(0, 1.2)))
            self.push(step.at + timedelta(hours=hours), "survey_answer", case_id=step.case_id, ref=step.ref)

    def _survey_answer(self, step: _Step) -> None:
        made = cases.verification_of(self.session, case_id=step.case_id)
        if made is None or made.metric is None or made.before_score is None or made.invitation_id != step.ref:
            return
        followed_up = self.plans[step.case_id].followed_up
        score = closing.after_score(self.rng, made.metric, made.before_score, followed_up=followed_up)
        response_id = closing.answer_survey(self.session, step.ref, made.metric, score, now=step.at)
        self.summary.verifications_answered += 1
        # The answer is feedback like any other: the rules look at it (an unhappy answer opens a new case).
        self.push(step.at + timedelta(seconds=self.rng.uniform(3, 40)), "fire", response_id=response_id)

    def _announce(self, step: _Step) -> None:
        lead = access.require_team(self.session, key="support").lead_user_id
        actor = Actor(name=self.names.get(lead, "support"), user_id=lead) if lead else Actor(name="support")
        self.summary.follow_ups += closing.announce_improvement(self.session, actor=actor, now=step.at)

    def _sweep(self, step: _Step) -> None:
        while True:
            result = cases.sweep(self.session, now=step.at)
            self.summary.breaches += result.breaches
            if not result.more:
                return


def play_cases(
    session: Session,
    *,
    period: DemoPeriod,
    staff: Staff,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> CaseworkSummary:
    """Fire the rules on the year's responses at their own moments and handle the cases they open (module doc)."""
    ids = alerts.would_fire(session, source=Source.response, since=period.start - timedelta(days=1))
    play = _Play(session, period, staff, seed, progress or (lambda _done, _total: None))
    announced = period.end - timedelta(days=IMPROVEMENT_DAYS, hours=-10)
    if announced > period.start:  # a demo of a few months has no fix to announce
        play.push(announced, "announce")
    for response_id in ids:
        response = play.responses[response_id] = collection.require_response(session, response_id=response_id)
        play.push(response.submitted_at + timedelta(seconds=play.rng.uniform(3, 40)), "fire", response_id=response_id)
    summary = play.run()
    final = [cases.require_case(session, case_id=case_id) for case_id in play.plans]
    summary.open_at_end = sum(1 for case in final if case.status != CaseStatus.closed)
    summary.closed = summary.cases - summary.open_at_end
    # Reopened by the customer writing back (planned), or by new negative feedback joining a resolved case.
    summary.reopened = sum(1 for case in final if case.reopened)
    return summary
