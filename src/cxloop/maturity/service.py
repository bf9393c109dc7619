"""The maturity self-assessment (docs/analytics.md "Maturity"): usage over the last WINDOW_DAYS days counted from
each domain (queries.py; the SLA from the cases service's report), scored by rules.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cxloop.analytics import metrics
from cxloop.analytics.enums import MetricKind
from cxloop.cases import service as cases
from cxloop.cases.enums import ActivityKind
from cxloop.core.clock import utcnow
from cxloop.maturity import queries, rules
from cxloop.maturity.schemas import Evidence, MaturityRead

WINDOW_DAYS = 90


def usage(session: Session, *, since: datetime, until: datetime) -> rules.Usage:
    """What the workspace did in [since, until) and what it has configured."""
    touchpoints, heard = queries.touchpoints_heard(session, since=since, until=until)
    sent, answered = queries.invitations_answered(session, since=since, until=until)
    comments, enriched = queries.comments_enriched(session, since=since, until=until)
    customers, linked = queries.outcomes_linked(session)
    total, closed, followed = queries.cases_closed(
        session, since=since, until=until, follow_up_kind=ActivityKind.follow_up_sent.value
    )
    report = cases.sla_report(session, by="team", as_of=until, since=since, until=until)
    return rules.Usage(
        channels=queries.feedback_by_channel(session, since=since, until=until),
        touchpoints=touchpoints,
        touchpoints_heard=heard,
        invitations_sent=sent,
        invitations_answered=answered,
        scored=queries.scored_responses(session, since=since, until=until),
        comments=comments,
        comments_enriched=enriched,
        configured=queries.configured(session),
        customers=customers,
        customers_with_outcomes=linked,
        cases=total,
        cases_closed=closed,
        cases_followed_up=followed,
        sla_cases=sum(row.closed_within_48h.n for row in report.rows),
        sla_met=sum(row.closed_within_48h.successes for row in report.rows),
        min_n=min(metrics.min_n(kind) for kind in MetricKind),
    )


def _evidence(u: rules.Usage) -> dict[str, list[Evidence]]:
    n = u.min_n
    found: dict[str, list[Evidence | None]] = {
        "listen": [
            rules.count("channels_active", "channels with feedback", u.active_channels),
            *(rules.count(f"feedback_{c}", f"feedback by {c}", v) for c, v in sorted(u.channels.items())),
            rules.share("touchpoint_coverage", "touchpoints heard", u.touchpoints_heard, u.touchpoints, n, census=True),
            rules.share("response_rate", "invitations answered", u.invitations_answered, u.invitations_sent, n),
            rules.count("trigger_rules", "enabled trigger rules", u.configured.get("trigger_rules", 0)),
        ],
        "understand": [
            rules.count("scored_responses", "scored answers", u.scored),
            rules.count("segments", "segments", u.configured.get("segments", 0)),
            rules.share("comments_enriched", "comments enriched by text analytics", u.comments_enriched, u.comments, n),
            rules.count("themes", "themes", u.configured.get("themes", 0)),
            rules.share(
                "outcomes_linked", "customers with outcomes", u.customers_with_outcomes, u.customers, n, census=True
            ),
            rules.count("targets", "metric targets", u.configured.get("targets", 0)),
        ],
        "act": [
            rules.count("alert_rules", "enabled alert rules", u.configured.get("alert_rules", 0)),
            rules.count("cases", "cases opened", u.cases),
            rules.share("closed_loop", "cases resolved or closed", u.cases_closed, u.cases, n),
            rules.share("sla_attainment", "cases closed within 48 working hours", u.sla_met, u.sla_cases, n),
            rules.share("followed_up", "closed cases followed up", u.cases_followed_up, u.cases_closed, n),
            rules.count("experiments", "experiments", u.configured.get("experiments", 0)),
        ],
    }
    return {pillar: [e for e in items if e is not None] for pillar, items in found.items()}


def assess(session: Session, *, as_of: datetime | None = None) -> MaturityRead:
    """Listen, understand and act on 1-5 over the WINDOW_DAYS days before `as_of` (now), each with its evidence and
    next concrete step."""
    until = as_of or utcnow()
    found = usage(session, since=until - timedelta(days=WINDOW_DAYS), until=until)
    evidence = _evidence(found)
    pillars = [rules.score(pillar, found, evidence[pillar]) for pillar in rules.LADDERS]
    weakest = min(pillars, key=lambda p: p.level)
    levels = ", ".join(f"{p.pillar} {p.level}" for p in pillars)
    summary = f"Maturity {weakest.level} of 5 ({levels}); next: {weakest.next_step}"
    return MaturityRead(as_of=until, window_days=WINDOW_DAYS, level=weakest.level, pillars=pillars, summary=summary)
