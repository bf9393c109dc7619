"""The read side of verification and the reports: the scores, invitations, responses and churn of other domains,
joined by id (a `queries` module may read lower domains' tables; it never writes them)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cxloop.cases.enums import TriggerSource
from cxloop.cases.models import CaseTrigger
from cxloop.collection.models import FeedbackItem, Response
from cxloop.customers.enums import OutcomeKind
from cxloop.customers.models import Customer, Outcome
from cxloop.invitations.models import Invitation
from cxloop.surveys.scales import SURVEY_METRICS


@dataclass(frozen=True)
class OpeningScore:
    """The score of the feedback that opened a case: the first trigger (by attachment) that carries one."""

    metric: str  # nps, csat or ces (a feedback item's 1-5 rating counts as csat, as in the metrics)
    score: int
    channel: str
    survey_id: int | None  # None for a feedback item
    response_id: int | None


def opening_scores(session: Session, *, case_ids: Collection[int]) -> dict[int, OpeningScore]:
    """case id -> the score that opened it, for the cases of `case_ids` with a scored response or rated item."""
    if not case_ids:
        return {}
    found: dict[int, tuple[int, OpeningScore]] = {}
    responses = session.execute(
        select(CaseTrigger.id, CaseTrigger.case_id, Response.id, Response.survey_id, Response.channel)
        .add_columns(*(getattr(Response, m) for m in SURVEY_METRICS))
        .join(Response, Response.id == CaseTrigger.source_id)
        .where(CaseTrigger.case_id.in_(case_ids), CaseTrigger.source == TriggerSource.response.value)
    )
    for trigger_id, case_id, response_id, survey_id, channel, *scores in responses:
        for metric, score in zip(SURVEY_METRICS, scores, strict=True):
            if score is not None:
                _keep_first(found, case_id, trigger_id, OpeningScore(metric, score, channel, survey_id, response_id))
                break
    items = session.execute(
        select(CaseTrigger.id, CaseTrigger.case_id, FeedbackItem.rating, FeedbackItem.channel)
        .join(FeedbackItem, FeedbackItem.id == CaseTrigger.source_id)
        .where(
            CaseTrigger.case_id.in_(case_ids),
            CaseTrigger.source == TriggerSource.feedback.value,
            FeedbackItem.rating.is_not(None),
        )
    )
    for trigger_id, case_id, rating, channel in items:
        if rating is not None:
            _keep_first(found, case_id, trigger_id, OpeningScore("csat", rating, channel, None, None))
    return {case_id: score for case_id, (_, score) in found.items()}


def _keep_first(found: dict[int, tuple[int, OpeningScore]], case_id: int, order: int, score: OpeningScore) -> None:
    if case_id not in found or order < found[case_id][0]:
        found[case_id] = (order, score)


def trigger_response_ids(session: Session, *, case_ids: Collection[int]) -> set[int]:
    """The responses that opened or joined these cases (a next score is never one of them)."""
    if not case_ids:
        return set()
    rows = session.scalars(
        select(CaseTrigger.source_id).where(
            CaseTrigger.case_id.in_(case_ids), CaseTrigger.source == TriggerSource.response.value
        )
    )
    return set(rows)


def invitation_states(session: Session, *, invitation_ids: Collection[int]) -> dict[int, tuple[str, int | None]]:
    """invitation id -> (its status, its response id)."""
    if not invitation_ids:
        return {}
    rows = session.execute(
        select(Invitation.id, Invitation.status, Invitation.response_id).where(Invitation.id.in_(invitation_ids))
    )
    return {row.id: (row.status, row.response_id) for row in rows}


def response_score(session: Session, *, response_id: int, metric: str) -> int | None:
    """The response's score on `metric` (None when it did not answer it, or is gone)."""
    if metric not in SURVEY_METRICS:
        return None
    value: int | None = session.scalar(select(getattr(Response, metric)).where(Response.id == response_id))
    return value


def responses_after(
    session: Session, *, metric: str, customer_ids: Collection[int], since: datetime
) -> dict[int, list[tuple[datetime, int, int]]]:
    """customer id -> their (submitted_at, response id, score) on `metric` since `since`, oldest first."""
    if not customer_ids or metric not in SURVEY_METRICS:
        return {}
    column = getattr(Response, metric)
    rows = session.execute(
        select(Response.customer_id, Response.submitted_at, Response.id, column)
        .where(Response.customer_id.in_(customer_ids), column.is_not(None), Response.submitted_at >= since)
        .order_by(Response.submitted_at, Response.id)
    )
    found: dict[int, list[tuple[datetime, int, int]]] = {}
    for customer_id, at, response_id, score in rows:
        found.setdefault(customer_id, []).append((at, response_id, score))
    return found


def churn_dates(session: Session, *, customer_ids: Iterable[int]) -> dict[int, list[date]]:
    """customer id -> the dates of the churn outcomes recorded for them or for their account."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    accounts = dict(
        session.execute(
            select(Customer.id, Customer.account_id).where(Customer.id.in_(ids), Customer.account_id.is_not(None))
        ).all()
    )
    rows = session.execute(
        select(Outcome.customer_id, Outcome.account_id, Outcome.occurred_on).where(
            Outcome.kind == OutcomeKind.churned.value,
            or_(Outcome.customer_id.in_(ids), Outcome.account_id.in_(sorted(set(accounts.values())) or [-1])),
        )
    )
    by_account: dict[int, list[date]] = {}
    found: dict[int, list[date]] = {}
    for customer_id, account_id, on in rows:
        if customer_id is not None:
            found.setdefault(customer_id, []).append(on)
        elif account_id is not None:
            by_account.setdefault(account_id, []).append(on)
    for customer_id, account_id in accounts.items():
        if account_id in by_account:
            found.setdefault(customer_id, []).extend(by_account[account_id])
    return found
