"""SLA policies, the due times of a case in its team's working hours, and the sweep that records warnings and breaches
once, emits them and escalates (docs/cases.md "SLAs")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from cxloop.access import service as access
from cxloop.cases.enums import ActivityKind, CasePriority, CaseStatus, SlaClock, SlaMarkKind
from cxloop.cases.models import Case, CaseSlaMark, SlaPolicy
from cxloop.cases.schemas import Actor, SlaPolicyIn, SlaPolicyRead
from cxloop.cases.service.records import log_activity
from cxloop.cases.service.routing import pick_owner
from cxloop.core.business_hours import Calendar
from cxloop.core.errors import FieldError, InvalidInput
from cxloop.jobs import outbox
from cxloop.jobs.events import CASE_SLA_BREACHED, CASE_SLA_WARNING

SLA_ACTOR = Actor("sla")
DEFAULT_POLICY = SlaPolicyIn()  # the playbook: acknowledge in 2 h, first response in 24 h, close in 48 h
_SWEEP_BATCH = 500


def list_policies(session: Session) -> list[SlaPolicyRead]:
    """The stored policies, most general first, then the built-in default (id None) when no catch-all is stored."""
    rows = session.scalars(select(SlaPolicy).order_by(SlaPolicy.id)).all()
    stored = [SlaPolicyRead(id=p.id, **_policy_in(p).model_dump()) for p in rows]
    if not any(p.team_id is None and p.priority is None for p in stored):
        stored.append(SlaPolicyRead(id=None, **DEFAULT_POLICY.model_dump()))
    return stored


def replace_policies(session: Session, *, items: Sequence[SlaPolicyIn]) -> list[SlaPolicyRead]:
    """Store exactly these policies (one per team and priority); 422 naming the repeated or unknown one."""
    seen: set[tuple[int | None, CasePriority | None]] = set()
    for index, item in enumerate(items):
        pair = (item.team_id, item.priority)
        if pair in seen:
            raise InvalidInput(
                "repeated policy", errors=[FieldError(f"items[{index}]", "another policy has this team and priority")]
            )
        seen.add(pair)
        if item.team_id is not None and access.get_team(session, team_id=item.team_id) is None:
            raise InvalidInput("unknown team", errors=[FieldError(f"items[{index}].team_id", "no such team")])
    session.execute(delete(SlaPolicy))
    for item in items:
        session.add(SlaPolicy(**{**item.model_dump(), "priority": item.priority.value if item.priority else None}))
    session.flush()
    return list_policies(session)


def _policy_in(row: SlaPolicy) -> SlaPolicyIn:
    return SlaPolicyIn(
        team_id=row.team_id,
        priority=CasePriority(row.priority) if row.priority else None,
        acknowledge_minutes=row.acknowledge_minutes,
        first_response_minutes=row.first_response_minutes,
        close_minutes=row.close_minutes,
        warn_minutes=row.warn_minutes,
        reassign_to_lead=row.reassign_to_lead,
        verify_after_days=row.verify_after_days,
        holdout_percent=row.holdout_percent,
        reassign_to_next_agent=row.reassign_to_next_agent,
    )


@dataclass
class Policies:
    """Every stored policy, read once: `for_case` picks the most specific (team and priority > team > priority >
    any > the default)."""

    rows: list[SlaPolicyIn]

    @classmethod
    def load(cls, session: Session) -> Policies:
        return cls([_policy_in(p) for p in session.scalars(select(SlaPolicy)).all()])

    def for_case(self, team_id: int | None, priority: str) -> SlaPolicyIn:
        for wanted in ((team_id, priority), (team_id, None), (None, priority), (None, None)):
            for row in self.rows:
                if (row.team_id, row.priority.value if row.priority else None) == wanted:
                    return row
        return DEFAULT_POLICY


@dataclass
class Calendars:
    """Team calendars, read once per transaction (a case without a team works around the clock)."""

    session: Session
    cached: dict[int | None, Calendar] = field(default_factory=dict)

    def of(self, team_id: int | None) -> Calendar:
        if team_id not in self.cached:
            team = access.get_team(self.session, team_id=team_id) if team_id is not None else None
            self.cached[team_id] = access.team_calendar(team) if team is not None else Calendar()
        return self.cached[team_id]


def working_minutes(calendar: Calendar, created: datetime, moment: datetime) -> float:
    """Working minutes from a case's creation to `moment`, as stored, exported and counted by the SLA report."""
    return round(calendar.minutes_between(created, moment), 2)


def stopped_minutes(session: Session, case: Case, moment: datetime) -> float:
    """A clock stopping at `moment`: its working minutes from the creation in the team's hours as they are now, kept
    on the case from then on (a later change of the team's hours or of the case's team leaves them as they are)."""
    return working_minutes(Calendars(session).of(case.team_id), case.created_at, moment)


def fill_clock_minutes(session: Session, *, batch_size: int = 1000) -> int:
    """Store the working minutes of stopped clocks that have none (cases written straight into the table, as a bench
    or an import does), in batches by id; how many cases got minutes. The migration that added the columns does the
    same for the cases that existed then."""
    calendars = Calendars(session)
    missing = or_(
        and_(Case.acknowledged_at.is_not(None), Case.acknowledge_minutes.is_(None)),
        and_(Case.closed_at.is_not(None), Case.close_minutes.is_(None)),
    )
    columns = (Case.id, Case.team_id, Case.created_at, Case.acknowledged_at, Case.closed_at)
    filled, last = 0, 0
    while batch := session.execute(
        select(*columns).where(Case.id > last, missing).order_by(Case.id).limit(batch_size)
    ).all():
        values = []
        for case_id, team_id, created, acknowledged, closed in batch:
            calendar = calendars.of(team_id)
            values.append(
                {
                    "id": case_id,
                    "acknowledge_minutes": None
                    if acknowledged is None
                    else working_minutes(calendar, created, acknowledged),
                    "close_minutes": None if closed is None else working_minutes(calendar, created, closed),
                }
            )
        session.execute(update(Case), values)
        filled, last = filled + len(batch), batch[-1][0]
    return filled


def set_due_times(session: Session, case: Case, *, close_from: datetime | None = None) -> None:
    """Due times from the creation (the close clock from `close_from`, e.g. a reopening) in the team's working hours."""
    policy = Policies.load(session).for_case(case.team_id, case.priority)
    calendar = Calendars(session).of(case.team_id)
    case.acknowledge_due_at = calendar.add(case.created_at, policy.acknowledge_minutes)
    case.first_response_due_at = calendar.add(case.created_at, policy.first_response_minutes)
    case.close_due_at = calendar.add(close_from or case.created_at, policy.close_minutes)


def recompute_due_times(session: Session, case: Case) -> None:
    """New targets after a change of team or priority, counted from the creation; a reopened case's close clock
    keeps the start it got at the reopening."""
    close_due = case.close_due_at
    set_due_times(session, case)
    if case.reopened:
        case.close_due_at = close_due


def clear_close_marks(session: Session, case: Case) -> None:
    """A reopened case's close clock starts again, so it may be warned about and breached again."""
    session.execute(delete(CaseSlaMark).where(CaseSlaMark.case_id == case.id, CaseSlaMark.clock == SlaClock.close))


@dataclass(frozen=True)
class _Clock:
    stopped: ColumnElement[bool]
    due: InstrumentedAttribute[datetime]
    statuses: tuple[CaseStatus, ...]


_RUNNING = (CaseStatus.new, CaseStatus.acknowledged, CaseStatus.in_progress)
CLOCKS: dict[SlaClock, _Clock] = {
    SlaClock.acknowledge: _Clock(Case.acknowledged_at.is_(None), Case.acknowledge_due_at, (CaseStatus.new,)),
    SlaClock.first_response: _Clock(Case.first_response_at.is_(None), Case.first_response_due_at, _RUNNING),
    SlaClock.close: _Clock(Case.closed_at.is_(None), Case.close_due_at, (*_RUNNING, CaseStatus.resolved)),
}


@dataclass
class SweepResult:
    warnings: int = 0
    breaches: int = 0
    escalated: int = 0
    more: bool = False  # a batch was full: sweep again


def sweep(session: Session, *, now: datetime) -> SweepResult:
    """Record each warning (due within the policy's `warn_minutes`) and breach (past due) once, log it on the case,
    emit `case.sla_warning` / `case.sla_breached`, and on a breach reassign to the team lead when the policy says so."""
    policies, result = Policies.load(session), SweepResult()
    horizon = now + timedelta(minutes=max([p.warn_minutes for p in policies.rows] + [DEFAULT_POLICY.warn_minutes]))
    for clock, spec in CLOCKS.items():
        query = (
            select(Case)
            .where(spec.stopped, Case.status.in_([s.value for s in spec.statuses]), spec.due <= horizon)
            .where(~select(CaseSlaMark.case_id).where(_mark(clock, SlaMarkKind.breach)).exists())
            .where(~((spec.due > now) & select(CaseSlaMark.case_id).where(_mark(clock, SlaMarkKind.warning)).exists()))
            .order_by(spec.due)
            .limit(_SWEEP_BATCH)
        )
        found = session.scalars(query).all()
        result.more = result.more or len(found) == _SWEEP_BATCH
        for case in found:
            policy = policies.for_case(case.team_id, case.priority)
            due: datetime = getattr(case, f"{clock.value}_due_at")
            if due <= now:
                if _record(session, case, clock, SlaMarkKind.breach, now, due):
                    result.breaches += 1
                    result.escalated += _escalate(session, case, clock, policy)
            elif due - timedelta(minutes=policy.warn_minutes) <= now:
                result.warnings += _record(session, case, clock, SlaMarkKind.warning, now, due)
    return result


def _mark(clock: SlaClock, kind: SlaMarkKind) -> ColumnElement[bool]:
    return (CaseSlaMark.case_id == Case.id) & (CaseSlaMark.clock == clock.value) & (CaseSlaMark.kind == kind.value)


def _record(session: Session, case: Case, clock: SlaClock, kind: SlaMarkKind, now: datetime, due: datetime) -> bool:
    """Store the mark once (False when it is there already, e.g. a second worker got there first), log, emit."""
    try:
        with session.begin_nested():
            session.add(CaseSlaMark(case_id=case.id, clock=clock.value, kind=kind.value, at=now))
            session.flush()
    except IntegrityError:
        return False
    activity = ActivityKind.sla_breached if kind == SlaMarkKind.breach else ActivityKind.sla_warning
    log_activity(session, case, activity, SLA_ACTOR, detail={"clock": clock.value, "due_at": due.isoformat()})
    team = access.get_team(session, team_id=case.team_id) if case.team_id is not None else None
    payload = {
        "case_id": case.id,
        "clock": clock.value,
        "team_id": case.team_id,
        "owner_user_id": case.owner_user_id,
        "lead_user_id": team.lead_user_id if team else None,
        "due_at": due.isoformat(),
    }
    outbox.emit(session, CASE_SLA_BREACHED if kind == SlaMarkKind.breach else CASE_SLA_WARNING, payload)
    return True


def _escalate(session: Session, case: Case, clock: SlaClock, policy: SlaPolicyIn) -> int:
    """Reassign a breached case as the policy says: to its team's lead, or to the team's next agent by its routing
    (round robin or fewest open cases, never the owner who missed it); logged on the case with the reason."""
    if case.team_id is None or not (policy.reassign_to_lead or policy.reassign_to_next_agent):
        return 0
    breached = f"the {clock.value.replace('_', ' ')} SLA was breached"
    if policy.reassign_to_lead:
        team = access.get_team(session, team_id=case.team_id)
        new_owner = team.lead_user_id if team is not None else None
        reason = f"{breached}; the policy reassigns to the team lead"
    else:
        new_owner, how = pick_owner(session, team_id=case.team_id, exclude=case.owner_user_id)
        reason = f"{breached}; the policy reassigns to the team's next agent ({how})"
    if new_owner is None or new_owner == case.owner_user_id:
        return 0
    detail = {"clock": clock.value, "from_user_id": case.owner_user_id, "to_user_id": new_owner, "reason": reason}
    case.owner_user_id = new_owner
    log_activity(session, case, ActivityKind.escalated, SLA_ACTOR, detail=detail)
    session.flush()
    return 1
