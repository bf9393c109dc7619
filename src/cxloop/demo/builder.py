"""Write the simulated demo organisation through the domain services (never straight into their tables)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from cxloop.branding import service as branding
from cxloop.collection import service as collection
from cxloop.collection.enums import Channel
from cxloop.collection.schemas import FeedbackCreate, ResponseCreate
from cxloop.core.clock import utcnow
from cxloop.core.errors import Conflict, FieldError, InvalidInput
from cxloop.customers import service as customers
from cxloop.customers.schemas import AccountUpsert, CustomerUpsert, EventCreate, OutcomeCreate, SegmentCreate
from cxloop.demo.casework import CaseworkSummary, play_cases, write_case_setup
from cxloop.demo.consent_history import write_consent
from cxloop.demo.contact import SURVEY_RULES
from cxloop.demo.invitation_history import write_invitations
from cxloop.demo.period import DemoPeriod
from cxloop.demo.programmes import write_programmes
from cxloop.demo.staff import email_of, write_staff
from cxloop.demo.story import SimResponse, SurveyRole
from cxloop.demo.world import DemoWorld, simulate_world
from cxloop.governance import policy as contact_policy
from cxloop.journeys import service as journeys
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.templates import get_template

DEFAULT_SEED = 7
DEFAULT_CUSTOMERS = 5000
DEFAULT_MONTHS = 12
EVENT_SOURCE = "demo"
_BATCH = 1000

# Which template each programme is made from, and which score it asks.
SURVEY_TEMPLATES = {
    SurveyRole.relationship_nps: "relationship-nps",
    SurveyRole.support_csat: "post-support-csat",
    SurveyRole.onboarding_ces: "onboarding-ces",
    SurveyRole.delivery_csat: "post-delivery-csat",
}

# Saved segments, so metrics can be grouped by segment straight away.
SEGMENTS = (
    SegmentCreate(key="smb", name="SMB", description="Small businesses on monthly plans.", filter="segment = smb"),
    SegmentCreate(
        key="enterprise",
        name="Enterprise",
        description="Contacts at B2B accounts with annual contracts.",
        filter="segment = enterprise",
    ),
    SegmentCreate(
        key="frequent-support",
        name="Frequent support users",
        description="Opened three or more support tickets in the last 90 days.",
        filter="event(ticket_created, 90 days) >= 3",
    ),
    SegmentCreate(
        key="payment-trouble",
        name="Payment trouble",
        description="Had at least one failed payment (many during the billing migration).",
        filter="event(payment_failed) >= 1",
    ),
    SegmentCreate(
        key="churned",
        name="Churned",
        description="Customers who cancelled or whose account did not renew.",
        filter="status = churned",
    ),
)

ProgressFn = Callable[[str, int, int], None]
"""Told (phase, done, total) as the build advances; phases are the keys of `PHASES`."""

PHASES = {
    "simulate": "Simulating a year of customer life",
    "accounts": "Accounts",
    "customers": "Customers",
    "events": "Events",
    "surveys": "Surveys",
    "responses": "Survey responses",
    "feedback": "Reviews, social posts, chats",
    "outcomes": "Outcomes",
    "segments": "Segments",
    "cases": "Cases: alerts fired and handled",
}

T = TypeVar("T")


@dataclass
class DemoSummary:
    """What `build_demo` wrote."""

    seed: int
    anchor: date
    start: date
    accounts: int = 0
    customers: int = 0
    events: int = 0
    surveys: int = 0
    responses: int = 0
    invitations: int = 0
    consent_changes: int = 0
    trigger_rules: int = 0
    comments: int = 0
    feedback: int = 0
    outcomes: int = 0
    churned_customers: int = 0
    segments: dict[str, int] = field(default_factory=dict)  # key -> members
    teams: int = 0
    users: int = 0
    casework: CaseworkSummary = field(default_factory=CaseworkSummary)
    seconds: float = 0.0


def build_demo(
    target: Database | Session,
    *,
    seed: int = DEFAULT_SEED,
    customers: int = DEFAULT_CUSTOMERS,
    months: int = DEFAULT_MONTHS,
    today: date | None = None,
    progress: ProgressFn | None = None,
) -> DemoSummary:
    """Build the demo organisation for `seed`, ending the day before `today` (default: the current UTC date).

    Only into a database without customers (Conflict otherwise). With a Database the whole build is one transaction
    (all or nothing); with a Session the caller owns it.
    The same seed, size, months and `today` always write the same data.
    """
    problems = []
    if not 10 <= customers <= 200_000:
        problems.append(FieldError("customers", "must be between 10 and 200000"))
    if not 1 <= months <= 36:
        problems.append(FieldError("months", "must be between 1 and 36"))
    anchor = today or utcnow().date()
    if anchor > utcnow().date():
        problems.append(
            FieldError("today", "must not be after the current date (feedback cannot come from the future)")
        )
    if problems:
        raise InvalidInput("cannot build the demo with these settings", errors=problems)
    started = time.perf_counter()
    if isinstance(target, Database):
        with target.unit_of_work() as session:
            _require_empty(session)  # fail before spending seconds on the simulation
            rules = contact_policy.current_policy(session)
    else:
        _require_empty(target)
        rules = contact_policy.current_policy(target)
    period = DemoPeriod.ending(anchor, months)
    report = progress or (lambda _phase, _done, _total: None)
    report("simulate", 0, 1)
    # Every invitation of the simulated year passes the organisation's contact policy (demo/contact.py).
    world = simulate_world(seed, customers=customers, period=period, policy=rules)
    report("simulate", 1, 1)
    if isinstance(target, Database):
        with target.unit_of_work() as session:
            summary = _write(session, world, report)
    else:
        summary = _write(target, world, report)
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def has_customers(session: Session) -> bool:
    """True when the database already holds at least one customer (`cxloop demo --if-empty` then does nothing)."""
    return customers.list_customers(session, limit=1).total > 0


def _require_empty(session: Session) -> None:
    # Mixing the demo into real data (or into another demo) would corrupt both, so it only goes into an empty one.
    if has_customers(session):
        raise Conflict(
            "the database already holds customers; the demo is only built into an empty database",
            errors=[FieldError("database", "already holds customers (use --if-empty to skip quietly)")],
        )


def _batches(items: Sequence[T], size: int = _BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(session: Session, world: DemoWorld, report: ProgressFn) -> DemoSummary:
    period = world.period
    summary = DemoSummary(seed=world.seed, anchor=period.anchor, start=period.start.date())
    _require_empty(session)
    journeys.ensure_default_journey(session)
    # Who is asking, on the demo's pages and messages (docs/branding.md); a colour of its own shows it is applied.
    branding.update(
        session,
        {"organisation_name": "Larkspur", "sender_name": "Larkspur Customer Team", "primary_colour": "#1d6b52"},
        now=period.start,
    )
    summary.accounts = _write_accounts(session, world, report)
    summary.customers = _write_customers(session, world, report)
    summary.consent_changes = write_consent(session, world)
    summary.events = _write_events(session, world, report)
    keys = _write_surveys(session, report)
    summary.surveys = len(keys)
    # Written after the events, so the rules (disabled anyway) are not set off by the year's history.
    rule_ids = write_programmes(session, {role: survey["id"] for role, survey in keys.items()}, period)
    summary.trigger_rules = len(rule_ids)
    summary.responses, summary.comments = _write_responses(session, world, keys, report)
    summary.feedback = _write_feedback(session, world, report)
    summary.outcomes = _write_outcomes(session, world, report)
    summary.churned_customers = sum(1 for s in world.stories if s.churned_at is not None)
    summary.segments = _write_segments(session, report)
    staff = write_staff(session, period)
    summary.teams, summary.users = len(staff.teams), len(staff.users)
    write_case_setup(session, staff)
    summary.casework = play_cases(
        session, period=period, staff=staff, seed=world.seed, progress=lambda done, total: report("cases", done, total)
    )
    # The year's survey invitations are written after the cases: the contact policy counts invitations scheduled
    # after the moment it decides, so written first, the whole year's would hold back every re-survey of the cases.
    locales = {s.customer.external_id: s.customer.country.locale for s in world.stories}
    summary.invitations = write_invitations(
        session, world, {role: survey["key"] for role, survey in keys.items()}, locales, rule_ids
    )
    return summary


def _write_accounts(session: Session, world: DemoWorld, report: ProgressFn) -> int:
    items = [
        AccountUpsert(
            external_id=a.external_id,
            name=a.name,
            plan=a.plan,
            arr=a.arr,
            renewal_date=a.renewal_date,
            owner=email_of(a.owner),  # a user of the Success team (demo/staff.py), so routing finds them
            attributes={
                "industry": a.industry,
                "country": a.country.code,
                "company_size": a.company_size,
                "contract_start": a.contract_start.isoformat(),
                "status": a.status,
                "contacts": len(a.contacts),
            },
        )
        for a in world.organisation.accounts
    ]
    done = 0
    for batch in _batches(items):
        customers.upsert_accounts(session, items=batch)
        done += len(batch)
        report("accounts", done, len(items))
    return len(items)


def _write_customers(session: Session, world: DemoWorld, report: ProgressFn) -> int:
    items = []
    for story in world.stories:
        c = story.customer
        items.append(
            CustomerUpsert(
                external_id=c.external_id,
                email=c.email,
                phone=c.phone,
                name=c.name,
                locale=c.country.locale,
                timezone=c.timezone,
                attributes={
                    "segment": c.segment,
                    "industry": c.industry,
                    "company_size": c.company_size,
                    "plan": c.plan,
                    "country": c.country.code,
                    "company": c.company,
                    "role": c.role,
                    "status": "churned" if story.churned_at is not None else "active",
                },
                account_external_id=c.account.external_id if c.account else None,
                signup_date=c.signup_at.date(),
                stage=world.stages[c.external_id],
            )
        )
    done = 0
    for batch in _batches(items):
        customers.upsert_customers(session, items=batch)
        done += len(batch)
        report("customers", done, len(items))
    return len(items)


def _write_events(session: Session, world: DemoWorld, report: ProgressFn) -> int:
    events = sorted((e for s in world.stories for e in s.events), key=lambda e: (e.at, e.key))
    done = 0
    for batch in _batches(events, 5000):
        customers.record_events(
            session,
            items=[
                EventCreate(
                    customer_external_id=e.customer,
                    name=e.name,
                    properties=e.properties,
                    occurred_at=e.at,
                    source=EVENT_SOURCE,
                    external_id=e.key,
                )
                for e in batch
            ],
        )
        done += len(batch)
        report("events", done, len(events))
    return len(events)


def _write_surveys(session: Session, report: ProgressFn) -> dict[SurveyRole, dict[str, Any]]:
    """Each programme's survey key and current definition, creating (live) the ones not there yet."""
    found: dict[SurveyRole, dict[str, Any]] = {}
    for number, (role, template_key) in enumerate(SURVEY_TEMPLATES.items(), start=1):
        template = get_template(template_key)
        survey = surveys.get_survey(session, key=template.key)
        if survey is None:
            rules = SURVEY_RULES[role]  # how often the programme may ask and be answered (the contact gate's too)
            settings = {
                "status": SurveyStatus.live,
                "resurvey_days": rules.resurvey_days,
                "response_limit": rules.response_limit,
                "response_period_days": rules.response_period_days,
            }
            survey = surveys.create_survey(session, data=template.model_copy(update=settings))
        version = surveys.require_version(session, survey_id=survey.id)
        found[role] = {"key": survey.key, "id": survey.id, "definition": version.definition}
        report("surveys", number, len(SURVEY_TEMPLATES))
    return found


def _question_ids(definition: dict[str, Any]) -> set[str]:
    return {q["id"] for q in definition.get("questions", [])}


def _extra_answers(response: SimResponse, question_ids: set[str]) -> dict[str, Any]:
    """Structured follow-ups the templates ask, answered consistently with what happened."""
    answers: dict[str, Any] = {}
    context = response.context
    if response.survey is SurveyRole.support_csat and "resolved" in question_ids:
        answers["resolved"] = "yes" if response.score >= 4 else "partly" if response.score == 3 else "no"
    if response.survey is SurveyRole.delivery_csat and "problems" in question_ids and response.score <= 3:
        problems = [p for p in ("late", "damaged") if context.get(p)]
        answers["problems"] = problems or ["other"]
    return answers


def _response_item(response: SimResponse, survey: dict[str, Any]) -> ResponseCreate:
    scores: dict[str, int] = {}
    if response.survey is SurveyRole.relationship_nps:
        scores["nps"] = response.score
    elif response.survey is SurveyRole.onboarding_ces:
        scores["ces"] = response.score
    else:
        scores["csat"] = response.score
    comment = response.comment
    metadata: dict[str, Any] = {"source": "demo"}
    metadata.update({k: v for k, v in response.context.items() if k.endswith("_id")})
    if comment is not None:
        metadata["themes"] = list(comment.themes)
    return ResponseCreate(
        survey=survey["key"],
        customer_external_id=response.customer,
        channel=Channel(response.channel),
        touchpoint=response.touchpoint,
        answers=_extra_answers(response, _question_ids(survey["definition"])),
        comment=comment.text if comment is not None and comment.text.strip() else None,
        submitted_at=response.at,
        locale=response.language,
        metadata=metadata,
        idempotency_key=f"demo-{response.key}",
        **scores,
    )


def _write_responses(
    session: Session, world: DemoWorld, keys: dict[SurveyRole, dict[str, Any]], report: ProgressFn
) -> tuple[int, int]:
    responses = sorted((r for s in world.stories for r in s.responses), key=lambda r: (r.at, r.key))
    done = 0
    for batch in _batches(responses):
        collection.record_responses(session, items=[_response_item(r, keys[r.survey]) for r in batch])
        done += len(batch)
        report("responses", done, len(responses))
    comments = sum(1 for r in responses if r.comment is not None and r.comment.text.strip())
    return len(responses), comments


def _write_feedback(session: Session, world: DemoWorld, report: ProgressFn) -> int:
    items = [
        FeedbackCreate(
            kind=f.kind,
            source=f.source,
            external_id=f.external_id,
            channel=f.channel,
            text=f.text,
            rating=f.rating,
            author=f.author,
            customer_external_id=f.customer,
            touchpoint=f.touchpoint,
            posted_at=f.at,
            metadata={"source": "demo", **f.metadata},
        )
        for f in world.feedback
    ]
    done = 0
    for batch in _batches(items):
        collection.record_feedback(session, items=batch)
        done += len(batch)
        report("feedback", done, len(items))
    return len(items)


def _write_outcomes(session: Session, world: DemoWorld, report: ProgressFn) -> int:
    items = [
        OutcomeCreate(
            customer_external_id=o.customer,
            account_external_id=o.account,
            kind=o.kind,
            value=o.value,
            occurred_on=o.on,
            note=o.note,
        )
        for o in sorted(world.outcomes, key=lambda o: (o.on, o.kind, o.customer or "", o.account or ""))
    ]
    done = 0
    for batch in _batches(items):
        customers.record_outcomes(session, items=batch)
        done += len(batch)
        report("outcomes", done, len(items))
    return len(items)


def _write_segments(session: Session, report: ProgressFn) -> dict[str, int]:
    """Create the demo's segments that are not there yet; key -> member count for every demo segment."""
    ids: dict[str, int] = {}
    for number, data in enumerate(SEGMENTS, start=1):
        segment = customers.get_segment(session, key=data.key) or customers.create_segment(session, data=data)
        ids[data.key] = segment.id
        report("segments", number, len(SEGMENTS))
    counts = customers.member_counts(session, segment_ids=ids.values())
    return {key: counts.get(segment_id, 0) for key, segment_id in ids.items()}
