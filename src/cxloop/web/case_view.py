"""What the case page shows: the case, its customer, the feedback that opened it (masked per role as the API does),
its three SLA clocks, who it may be given to, and the follow-up templates, read through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.cases import service as cases
from cxloop.cases.enums import TriggerSource
from cxloop.cases.follow_up_schemas import FollowUpRead
from cxloop.cases.schemas import CaseDetail
from cxloop.cases.service import follow_up_templates, follow_ups
from cxloop.collection import service as collection
from cxloop.collection.schemas import FeedbackRead, ResponseRead
from cxloop.core.errors import NotFound
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerRead
from cxloop.text import service as text
from cxloop.web.inbox import assignable_ids, left_words
from cxloop.web.service import SignedIn

SHOWN_TRIGGERS = 10  # the first feedback of a case is what opened it; later ones joined it


@dataclass(frozen=True)
class Clock:
    """One SLA clock: running (time left or over), met, or missed (stopped after its due time)."""

    name: str
    due_at: datetime
    stopped_at: datetime | None
    now: datetime

    @property
    def level(self) -> str:
        if self.stopped_at is not None:
            return "done" if self.stopped_at <= self.due_at else "breached"
        return "breached" if self.now > self.due_at else "running"

    @property
    def words(self) -> str:
        if self.stopped_at is not None:
            late = (self.stopped_at - self.due_at).total_seconds()
            return "met" if late <= 0 else f"missed: {left_words(-late).removesuffix(' over')} late"
        return left_words((self.due_at - self.now).total_seconds())


@dataclass(frozen=True)
class Trigger:
    """A response or feedback item of the case, as the role may read it (None: erased or not stored)."""

    source: str
    id: int
    response: ResponseRead | None = None
    feedback: FeedbackRead | None = None


@dataclass(frozen=True)
class CasePage:
    case: CaseDetail
    customer: CustomerRead | None
    triggers: list[Trigger]
    clocks: list[Clock]
    people: dict[int, str]  # user id -> name, for the owner and the activity log
    assignable: list[tuple[int, str]]  # members (and lead) of the case's team
    team_name: str | None
    templates: list[tuple[str, str]]  # (name, channel) of the active follow-up templates
    root_causes: list[tuple[str, str]]  # (key, name) of the active root causes
    follow_ups: list[FollowUpRead]


def _triggers(session: Session, case: CaseDetail, role: Role) -> list[Trigger]:
    found: list[Trigger] = []
    for ref in case.triggers[:SHOWN_TRIGGERS]:
        try:
            if ref.source == TriggerSource.response:
                found.append(
                    Trigger("response", ref.id, response=collection.require_response(session, response_id=ref.id))
                )
            else:
                found.append(
                    Trigger("feedback", ref.id, feedback=collection.require_feedback(session, feedback_id=ref.id))
                )
        except NotFound:
            found.append(Trigger(ref.source.value, ref.id))
    text.mask_shown(
        session,
        role=role,
        responses=[t.response for t in found if t.response],
        feedback=[t.feedback for t in found if t.feedback],
    )
    return found


def _clocks(case: CaseDetail, now: datetime) -> list[Clock]:
    return [
        Clock("Acknowledge", case.acknowledge_due_at, case.acknowledged_at, now),
        Clock("First response", case.first_response_due_at, case.first_response_at, now),
        Clock("Close", case.close_due_at, case.closed_at, now),
    ]


def _customer(session: Session, customer_id: int) -> CustomerRead | None:
    try:
        return customers.customer_reads(session, [customers.require_customer(session, customer_id=customer_id)])[0]
    except NotFound:
        return None


def case_page(session: Session, *, case_id: int, user: SignedIn, now: datetime) -> CasePage:
    """Everything the page shows; CaseNotFound (a NotFound) when the case is not in the user's teams."""
    scope = cases.scope_of(session, role=user.role, user_id=user.user_id)
    detail = cases.case_detail(session, cases.require_case(session, case_id=case_id, scope=scope))
    people = {u.id: u.name or u.email for u in access.list_users(session)}
    team = access.get_team(session, team_id=detail.team_id) if detail.team_id is not None else None
    member_ids = assignable_ids(session, team_id=detail.team_id)
    return CasePage(
        case=detail,
        customer=_customer(session, detail.customer_id),
        triggers=_triggers(session, detail, user.role),
        clocks=_clocks(detail, now),
        people=people,
        assignable=sorted(((i, people.get(i, f"user {i}")) for i in member_ids), key=lambda p: p[1].lower()),
        team_name=team.name if team is not None else None,
        templates=[(t.name, t.channel) for t in follow_up_templates.list_templates(session, active_only=True)],
        root_causes=[(c.key, c.name) for c in cases.list_root_causes(session, active_only=True)],
        follow_ups=follow_ups.follow_ups_of_case(session, case_id=case_id, scope=scope),
    )


def activity_words(kind: str, detail: dict[str, Any], people: dict[int, str]) -> str:
    """One line of the activity log in words ("acknowledged", "assigned to Ana")."""
    if kind == "status":
        words = f"{detail.get('action', 'changed')}: {detail.get('from', '?')} → {detail.get('to', '?')}".replace(
            "_", " "
        )
        if detail.get("root_cause"):
            words += f" (root cause {detail['root_cause']})"
        return words
    if kind == "assigned":
        owner = detail.get("to_user_id")
        return f"assigned to {people.get(owner, f'user {owner}')}" if owner else "unassigned"
    if kind == "updated":
        return "changed " + ", ".join(sorted(detail)) if detail else "updated"
    return kind.replace("_", " ")
