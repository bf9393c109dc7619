"""Which invitations to send now, safely with several workers and across crashes.

The worker sends each invitation with no transaction open during the exchange (channels.delivery.deliver,
jobs.leases): a short transaction claims it (`SELECT ... FOR UPDATE SKIP LOCKED`, then a lease in `lease_until`)
and commits; the channel sends; a second short transaction records `sent` after the channel accepted it (for email:
the SMTP server answered 250 to the message). The queries below skip leased invitations. A worker killed before
recording leaves a lease that runs out after jobs.leases.LEASE; the invitation is still `scheduled`, so a later
sweep sends it: nothing is lost. If the kill falls between the server's acceptance and the record, the invitation
is sent once more: at-least-once inside that window, exactly-once outside it (docs/triggers-and-worker.md).
Reminders follow the same path with `reminded_at`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cxloop.customers import service as customers
from cxloop.governance import policy, scoped_policies
from cxloop.triggers import queries

SEND_JOB = "triggers.send_due"
REMIND_JOB = "triggers.send_reminders"


def due(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Ids of scheduled invitations whose time has come, oldest first."""
    return queries.due_invitations(session, now=now, limit=limit)


def reminders_due(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Invitations owed their one reminder: sent `reminder_after_days` ago for a survey that has reminders (and not
    before it turned them on, `reminders_since`), not answered, not reminded yet, its reminder not dropped, not
    expired. Consent is checked again by the channel when sending."""
    by_terms: dict[tuple[int, datetime | None], list[int]] = defaultdict(list)
    for survey_id, days, since in queries.reminder_terms(session):
        by_terms[(days, since)].append(survey_id)
    found: list[int] = []
    for (days, since), survey_ids in sorted(by_terms.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        found += queries.reminder_candidates(
            session,
            survey_ids=survey_ids,
            sent_before=now - timedelta(days=days),
            sent_since=since,
            now=now,
            limit=limit - len(found),
        )
        if len(found) >= limit:
            break
    return found


def quiet_now(session: Session, *, channel: str, customer_id: int, now: datetime) -> bool:
    """Whether it is quiet hours for this channel and customer (an SMS reminder waits till morning)."""
    rules = scoped_policies.policy_of(session, customer_id, now=now)
    if channel not in rules.quiet_channels:
        return False
    timezone = customers.require_customer(session, customer_id=customer_id).timezone
    return policy.after_quiet_hours(rules, now, timezone) != now
