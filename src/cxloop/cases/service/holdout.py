"""The follow-up holdout: a stable random share of new cases (the SLA policy's `holdout_percent`, default 0 = off)
is held out of follow-ups, and the report compares churn and the next score of followed-up and held-out customers
(docs/cases.md "Holdout").

- Assignment: when a case opens, `stable_fraction("case-holdout", customer id) * 100 < holdout_percent` of the
  case's policy, stored on the case (`held_out`). The hash is of the customer id, as the contact policy's holdout
  does, with its own salt: a customer is in the same arm for every case while the percentage stays, and the survey
  holdout is an independent group.
- Held-out cases are tracked as any other (SLA, verification re-survey); only follow-ups skip them: the follow-up
  sender calls `is_held_out(case)`.
- "Followed up" = the case has an activity of kind FOLLOW_UP_SENT_KIND (written by the follow-up sender).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.cases import holdout_figures as figures
from cxloop.cases import queries
from cxloop.cases.enums import ActivityKind
from cxloop.cases.models import Case, CaseActivity, CaseVerification
from cxloop.cases.schemas import ArmFigure, Comparison, HoldoutReport
from cxloop.cases.service import sla
from cxloop.governance.policy import stable_fraction

# The case activity kind the follow-up sender writes when it sends a follow-up (the one place naming it).
FOLLOW_UP_SENT_KIND = ActivityKind.follow_up_sent.value
_SALT = "case-holdout"
_CHUNK = 1_000
T = TypeVar("T")


def in_holdout(customer_id: int, percent: float) -> bool:
    """Whether a customer's cases fall in a holdout of `percent` % (stable: the same answer every time)."""
    return stable_fraction(_SALT, customer_id) * 100 < percent


def assign(session: Session, case: Case) -> None:
    """Decide, once, whether a new case is held out (its SLA policy's `holdout_percent`)."""
    policy = sla.Policies.load(session).for_case(case.team_id, case.priority)
    case.held_out = in_holdout(case.customer_id, policy.holdout_percent)


def is_held_out(case: Case) -> bool:
    """Whether the case is held out of follow-ups: the follow-up sender sends nothing for it."""
    return bool(case.held_out)


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class _First(NamedTuple):
    case_id: int
    customer_id: int
    created_at: datetime
    held_out: bool


def _first_cases(session: Session, since: datetime | None, until: datetime | None) -> list[_First]:
    query = select(Case.id, Case.customer_id, Case.created_at, Case.held_out).order_by(
        Case.customer_id, Case.created_at, Case.id
    )
    if since is not None:
        query = query.where(Case.created_at >= since)
    if until is not None:
        query = query.where(Case.created_at < until)
    first: dict[int, _First] = {}
    for row in session.execute(query):
        first.setdefault(row.customer_id, _First(row.id, row.customer_id, row.created_at, bool(row.held_out)))
    return list(first.values())


def followed_up(session: Session, *, case_ids: Sequence[int]) -> set[int]:
    """The cases among `case_ids` with a recorded follow-up."""
    found: set[int] = set()
    for chunk in _chunks(sorted(case_ids)):
        found |= set(
            session.scalars(
                select(CaseActivity.case_id).where(
                    CaseActivity.case_id.in_(chunk), CaseActivity.kind == FOLLOW_UP_SENT_KIND
                )
            )
        )
    return found


def _next_scores(session: Session, cases: Sequence[_First]) -> dict[str, dict[int, int]]:
    """metric -> case id -> the next score: the verification answer, else the customer's first later response on
    the metric of the case's opening feedback (never one of the case's own triggers)."""
    ids = [c.case_id for c in cases]
    metric_of: dict[int, str] = {}
    found: dict[str, dict[int, int]] = {}
    for chunk in _chunks(ids):
        for case_id, metric, after in session.execute(
            select(CaseVerification.case_id, CaseVerification.metric, CaseVerification.after_score).where(
                CaseVerification.case_id.in_(chunk)
            )
        ):
            if metric:
                metric_of[case_id] = metric
                if after is not None:
                    found.setdefault(metric, {})[case_id] = after
        for case_id, opening in queries.opening_scores(session, case_ids=chunk).items():
            metric_of.setdefault(case_id, opening.metric)
    waiting = [c for c in cases if c.case_id in metric_of and c.case_id not in found.get(metric_of[c.case_id], {})]
    if not waiting:
        return found
    own = queries.trigger_response_ids(session, case_ids=[c.case_id for c in waiting])
    for metric in sorted({metric_of[c.case_id] for c in waiting}):
        mine = [c for c in waiting if metric_of[c.case_id] == metric]
        later = queries.responses_after(
            session, metric=metric, customer_ids=[c.customer_id for c in mine], since=min(c.created_at for c in mine)
        )
        for case in mine:
            score = next(
                (s for at, rid, s in later.get(case.customer_id, []) if at > case.created_at and rid not in own), None
            )
            if score is not None:
                found.setdefault(metric, {})[case.case_id] = score
    return found


def _comparison(measure: str, test: str, unit: str, compared: figures.Compared, what: str) -> Comparison:
    def arm(a: figures.Arm) -> ArmFigure:
        return ArmFigure(n=a.n, value=a.value, interval=a.interval, events=a.events)

    return Comparison(
        measure=measure,
        test=test,
        followed_up=arm(compared.followed_up),
        held_out=arm(compared.held_out),
        difference=compared.difference,
        interval=compared.interval,
        p_value=compared.p_value,
        significant=compared.significant,
        enough_data=compared.enough_data,
        sentence=figures.sentence(what, unit, compared, test),
    )


def holdout_report(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> HoldoutReport:
    """Churn and next score of followed-up vs held-out customers, over each customer's first case created in
    [since, until)."""
    firsts = _first_cases(session, since, until)
    done = followed_up(session, case_ids=[c.case_id for c in firsts if not c.held_out])
    arms = {"followed_up": [c for c in firsts if c.case_id in done], "held_out": [c for c in firsts if c.held_out]}
    counted = arms["followed_up"] + arms["held_out"]
    churn = queries.churn_dates(session, customer_ids=[c.customer_id for c in counted])

    def churned(cases: list[_First]) -> tuple[int, int]:
        hits = sum(1 for c in cases if any(on >= c.created_at.date() for on in churn.get(c.customer_id, [])))
        return hits, len(cases)

    churn_compared = figures.compare_rates(churned(arms["followed_up"]), churned(arms["held_out"]))
    scores = _next_scores(session, counted)
    score_comparisons = []
    for metric in sorted(scores):
        by_case = scores[metric]
        compared = figures.compare_means(
            [by_case[c.case_id] for c in arms["followed_up"] if c.case_id in by_case],
            [by_case[c.case_id] for c in arms["held_out"] if c.case_id in by_case],
        )
        score_comparisons.append(_comparison(metric, "Welch's t-test", "", compared, f"Next {metric.upper()} score"))
    return HoldoutReport(
        since=since,
        until=until,
        min_per_arm=figures.MIN_PER_ARM,
        customers=len(counted),
        not_followed_up=len(firsts) - len(counted),
        churn=_comparison("churn", "Fisher's exact test", " %", churn_compared, "Churn"),
        scores=score_comparisons,
    )
