"""Time rules: "N days after signup / the first event of a name / before the account's renewal date", optionally
repeated every M days. A periodic sweep finds the due customers in SQL and invites each once per occurrence.

An occurrence is (rule, customer, due date); its key `rule:<id>:customer:<id>:<date>` is unique in the invitations
table, so running the sweep again, or two workers sweeping at once, creates nothing twice. Dates are UTC calendar
dates. The sweep looks back LOOKBACK_DAYS: an occurrence missed while no worker ran (or that fell due before the
rule existed) is caught up within that window and left alone after it, so enabling a rule never invites everyone
who signed up years ago.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from cxloop.core.clock import utcnow
from cxloop.invitations import service as invitations
from cxloop.invitations.service import InviteRequest
from cxloop.triggers import queries, rules
from cxloop.triggers.enums import TriggerKind
from cxloop.triggers.models import TriggerRule
from cxloop.triggers.service import list_rules

SWEEP_JOB = "triggers.sweep_time_rules"
LOOKBACK_DAYS = 3


@dataclass(frozen=True)
class Occurrence:
    rule_id: int
    customer_id: int
    due: date

    @property
    def key(self) -> str:
        return rules.occurrence_key_for_date(self.rule_id, self.customer_id, self.due)


@dataclass
class SweepPlan:
    """What a sweep will do: the occurrences in the window, and an invitation request for each one not invited yet."""

    due: int = 0
    requests: list[InviteRequest] = field(default_factory=list)


def due_occurrences(session: Session, rule: TriggerRule, *, today: date, lookback_days: int) -> list[Occurrence]:
    """The rule's occurrences due in (today - lookback_days, today], the latest one per customer."""
    assert rule.anchor is not None and rule.offset_days is not None
    first = today - timedelta(days=lookback_days - 1)
    found: list[Occurrence] = []
    for customer_id, anchor in queries.anchored_customers(
        session,
        anchor=rule.anchor,
        segment_id=rule.segment_id,
        offset_days=rule.offset_days,
        repeat_days=rule.repeat_days,
        first=first,
        last=today,
    ):
        due = rules.latest_occurrence(
            anchor, offset_days=rule.offset_days, repeat_days=rule.repeat_days, first=first, last=today
        )
        if due is not None:
            found.append(Occurrence(rule.id, customer_id, due))
    return found


def plan(session: Session, *, now: datetime | None = None, lookback_days: int = LOOKBACK_DAYS) -> SweepPlan:
    """The invitations every enabled time rule owes now: one request per due occurrence that has none yet.

    Read-only: the caller stores them with `invitations.service.invite_many`, in as many transactions as it likes (the
    worker commits every 500, so SQLite's one writer is never held for long). Planned twice (two workers), the
    same occurrence keys come out and the second insert adds nothing."""
    now = now or utcnow()
    result = SweepPlan()
    for rule in list_rules(session, kind=TriggerKind.time, enabled=True):
        occurrences = due_occurrences(session, rule, today=now.date(), lookback_days=lookback_days)
        result.due += len(occurrences)
        done = queries.existing_occurrences(session, (o.key for o in occurrences))
        result.requests += [
            rules.invite_request(rule, customer_id=o.customer_id, occurrence_key=o.key)
            for o in occurrences
            if o.key not in done
        ]
    return result


def sweep(session: Session, *, now: datetime | None = None, lookback_days: int = LOOKBACK_DAYS) -> tuple[int, int]:
    """Plan and store in this one transaction: (due occurrences, invitations created)."""
    now = now or utcnow()
    planned = plan(session, now=now, lookback_days=lookback_days)
    return planned.due, len(invitations.invite_many(session, planned.requests, now=now))
