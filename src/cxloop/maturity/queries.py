"""Read-side counts of how the workspace is used, over the tables of the domains below (one query each, counted in
the database): feedback per channel, touchpoints heard, invitations answered, comments enriched, configuration that
exists (segments, themes, triggers, alert rules, targets, experiments), outcomes linked, and cases closed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from cxloop.alerts.models import AlertRule
from cxloop.analytics.models import MetricTarget
from cxloop.cases.models import Case, CaseActivity
from cxloop.collection.models import FeedbackItem, Response
from cxloop.customers.models import Customer, Outcome, Segment
from cxloop.experiments.models import Experiment
from cxloop.invitations.models import Invitation
from cxloop.journeys.models import Touchpoint
from cxloop.text.models import TextAnalysis
from cxloop.text.themes.models import Theme
from cxloop.triggers.models import TriggerRule


def feedback_by_channel(session: Session, *, since: datetime, until: datetime) -> dict[str, int]:
    """Channel -> responses and feedback items received in [since, until)."""
    responses = select(Response.channel.label("channel")).where(
        Response.submitted_at >= since, Response.submitted_at < until
    )
    items = select(FeedbackItem.channel.label("channel")).where(
        FeedbackItem.posted_at >= since, FeedbackItem.posted_at < until
    )
    both = union_all(responses, items).subquery()
    rows = session.execute(select(both.c.channel, func.count()).group_by(both.c.channel))
    return {str(channel): int(n) for channel, n in rows}


def touchpoints_heard(session: Session, *, since: datetime, until: datetime) -> tuple[int, int]:
    """(touchpoints, touchpoints with a scored response or a feedback item in [since, until))."""
    total = session.scalar(select(func.count()).select_from(Touchpoint)) or 0
    heard = union_all(
        select(Response.touchpoint_id.label("id")).where(
            Response.submitted_at >= since,
            Response.submitted_at < until,
            or_(Response.nps.is_not(None), Response.csat.is_not(None), Response.ces.is_not(None)),
        ),
        select(FeedbackItem.touchpoint_id.label("id")).where(
            FeedbackItem.posted_at >= since, FeedbackItem.posted_at < until
        ),
    ).subquery()
    found = session.scalar(select(func.count(func.distinct(heard.c.id))).where(heard.c.id.in_(select(Touchpoint.id))))
    return total, found or 0


def invitations_answered(session: Session, *, since: datetime, until: datetime) -> tuple[int, int]:
    """(invitations sent in [since, until), of them answered)."""
    sent, answered = session.execute(
        select(func.count(), func.count(Invitation.answered_at)).where(
            Invitation.sent_at >= since, Invitation.sent_at < until
        )
    ).one()
    return sent, answered


def comments_enriched(session: Session, *, since: datetime, until: datetime) -> tuple[int, int]:
    """(comments and feedback texts received in [since, until), of them enriched by text analytics)."""
    responses = session.execute(
        select(func.count(), func.count(TextAnalysis.id))
        .select_from(Response)
        .outerjoin(TextAnalysis, and_(TextAnalysis.item_kind == "response", TextAnalysis.item_id == Response.id))
        .where(Response.submitted_at >= since, Response.submitted_at < until, Response.comment.is_not(None))
        .where(Response.comment != "")
    ).one()
    items = session.execute(
        select(func.count(), func.count(TextAnalysis.id))
        .select_from(FeedbackItem)
        .outerjoin(TextAnalysis, and_(TextAnalysis.item_kind == "feedback", TextAnalysis.item_id == FeedbackItem.id))
        .where(FeedbackItem.posted_at >= since, FeedbackItem.posted_at < until)
    ).one()
    return responses[0] + items[0], responses[1] + items[1]


def configured(session: Session) -> dict[str, int]:
    """How many of each configured thing exist: segments, visible themes, enabled trigger and alert rules,
    metric targets, experiments."""

    def count(query: object) -> int:
        return session.scalar(query) or 0  # type: ignore[call-overload]

    return {
        "segments": count(select(func.count()).select_from(Segment)),
        "themes": count(select(func.count()).select_from(Theme).where(Theme.hidden.is_(False))),
        "trigger_rules": count(select(func.count()).select_from(TriggerRule).where(TriggerRule.enabled.is_(True))),
        "alert_rules": count(select(func.count()).select_from(AlertRule).where(AlertRule.enabled.is_(True))),
        "targets": count(select(func.count()).select_from(MetricTarget)),
        "experiments": count(select(func.count()).select_from(Experiment)),
    }


def outcomes_linked(session: Session) -> tuple[int, int]:
    """(customers, customers with at least one outcome: churned, renewed, revenue, ...)."""
    customers = session.scalar(select(func.count()).select_from(Customer)) or 0
    linked = session.scalar(
        select(func.count(func.distinct(Outcome.customer_id))).where(Outcome.customer_id.is_not(None))
    )
    return customers, linked or 0


def cases_closed(session: Session, *, since: datetime, until: datetime, follow_up_kind: str) -> tuple[int, int, int]:
    """(cases created in [since, until), of them resolved or closed, of them with a follow-up sent)."""
    created = (Case.created_at >= since) & (Case.created_at < until)
    total, done = session.execute(
        select(func.count(), func.count(func.coalesce(Case.resolved_at, Case.closed_at))).where(created)
    ).one()
    followed = session.scalar(
        select(func.count(func.distinct(CaseActivity.case_id)))
        .join(Case, Case.id == CaseActivity.case_id)
        .where(created, CaseActivity.kind == follow_up_kind)
    )
    return total, done, followed or 0


def scored_responses(session: Session, *, since: datetime, until: datetime) -> int:
    """Responses in [since, until) with an NPS, CSAT or CES answer."""
    found = session.scalar(
        select(func.count()).where(
            Response.submitted_at >= since,
            Response.submitted_at < until,
            or_(Response.nps.is_not(None), Response.csat.is_not(None), Response.ces.is_not(None)),
        )
    )
    return found or 0
