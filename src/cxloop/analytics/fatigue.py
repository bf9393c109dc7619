"""The fatigue report: what happened to invitations - decided, suppressed (by reason), sent, failed, opened, answered,
what providers reported about their delivery - and the response rate with its Wilson interval, overall or per
channel, survey, touchpoint or contact policy. Counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from cxloop.analytics import invitation_rollups, queries
from cxloop.analytics.enums import FatigueGroup
from cxloop.analytics.stats import wilson_interval


@dataclass
class FatigueRow:
    group: str  # '' for the whole, else the channel, survey / touchpoint id or policy key
    invitations: int = 0  # every decision, sent or not
    suppressed: int = 0
    suppressed_by_reason: dict[str, int] = field(default_factory=dict)
    pending: int = 0  # scheduled, not sent yet
    sent: int = 0
    failed: int = 0
    opened: int = 0
    answered: int = 0
    # What providers reported afterwards (SMS status callbacks, email bounces), by status; unreported ones left out.
    delivery: dict[str, int] = field(default_factory=dict)
    response_rate: float | None = None  # answered / sent, percent
    response_rate_ci: tuple[float, float] | None = None  # 95% Wilson interval
    suppression_rate: float | None = None  # suppressed / invitations, percent


def fatigue_report(
    session: Session, *, group_by: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> list[FatigueRow]:
    """Counts per group (by invitation creation time in [since, until)), groups in key order. From the invitation
    rollups when the range is whole local days of a rolled-up zone (or open), else from raw invitations."""
    group = FatigueGroup(group_by) if group_by else None
    days = invitation_rollups.whole_days(since, until)
    if days is None:
        counts = queries.invitation_outcomes(session, group_by=group, since=since, until=until)
    else:
        tz, first_day, last_day = days
        counts = invitation_rollups.outcome_counts(
            session, group_by=group.value if group else None, tz=tz, first_day=first_day, last_day=last_day
        )
    rows: dict[str, FatigueRow] = {}
    for grp, invitation_status, reason, delivery, n, sent, opened, answered in counts:
        row = rows.setdefault(str(grp), FatigueRow(group=str(grp)))
        row.invitations += n
        row.sent += sent
        row.opened += opened
        row.answered += answered
        if delivery is not None:
            row.delivery[delivery] = row.delivery.get(delivery, 0) + n
        if invitation_status == "suppressed":
            row.suppressed += n
            row.suppressed_by_reason[reason or "unknown"] = row.suppressed_by_reason.get(reason or "unknown", 0) + n
        elif invitation_status == "scheduled":
            row.pending += n
        elif invitation_status == "failed":
            row.failed += n
    for row in rows.values():
        if row.sent:
            row.response_rate = 100 * row.answered / row.sent
            row.response_rate_ci = wilson_interval(row.answered, row.sent)
        if row.invitations:
            row.suppression_rate = 100 * row.suppressed / row.invitations
    return [rows[name] for name in sorted(rows)]
