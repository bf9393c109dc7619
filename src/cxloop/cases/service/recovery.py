"""The recovery report: of the customers whose case opened on an unhappy score and who answered its verification
re-survey, how many recovered, by team, root cause and channel (docs/cases.md "Recovery report").

The recount rule: a verification counts when it was answered (in [since, until) by `answered_at`) with a score on
its metric and the case opened on a score; it is in n when the opening score was unhappy by the metric's own
threshold (docs/metrics.md) and a success when the answer is at or above the recovery threshold:

| metric | unhappy (before) | recovered (after) |
| --- | --- | --- |
| NPS | detractor, 0-6 | passive or promoter, 7-10 (passives 7-8 and promoters 9-10 are also counted apart) |
| CSAT | 1-3 | satisfied, 4-5 |
| CES | 1-4 | easy, 5-7 |

Each share has n, its 95 % Wilson interval (none when n < 2) and `small` when n < MIN_N. The channel is the channel of
the feedback that opened the case; a case without a team or root cause is grouped under "(none)".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.analytics.stats import wilson_interval
from cxloop.cases.enums import VerificationStatus
from cxloop.cases.models import Case, CaseVerification, RootCause
from cxloop.cases.schemas import RecoveryMetric, RecoveryReport, RecoveryShare
from cxloop.surveys.scales import SCALES

MIN_N = 30
NONE = "(none)"


@dataclass(frozen=True)
class Threshold:
    """Which scores of a metric are unhappy (at most `unhappy_max`) and which recovered (at least `recovered_min`)."""

    metric: str
    unhappy_max: int
    recovered_min: int
    promoter_min: int | None = None  # NPS: promoters counted apart

    def labels(self) -> tuple[str, str]:
        low, high = SCALES[self.metric]
        return f"{low}-{self.unhappy_max}", f"{self.recovered_min}-{high}"


THRESHOLDS = {
    t.metric: t for t in (Threshold("nps", 6, 7, promoter_min=9), Threshold("csat", 3, 4), Threshold("ces", 4, 5))
}


@dataclass(frozen=True)
class Verified:
    """One answered verification of an unhappy opening score."""

    metric: str
    before: int
    after: int
    team_id: int | None
    root_cause_id: int | None
    channel: str | None


def verified(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> list[Verified]:
    """The answered verifications whose opening score was unhappy, by the recount rule."""
    query = (
        select(
            CaseVerification.metric,
            CaseVerification.before_score,
            CaseVerification.after_score,
            Case.team_id,
            Case.root_cause_id,
            CaseVerification.channel,
        )
        .join(Case, Case.id == CaseVerification.case_id)
        .where(
            CaseVerification.status == VerificationStatus.answered.value,
            CaseVerification.before_score.is_not(None),
            CaseVerification.after_score.is_not(None),
        )
        .order_by(CaseVerification.id)
    )
    if since is not None:
        query = query.where(CaseVerification.answered_at >= since)
    if until is not None:
        query = query.where(CaseVerification.answered_at < until)
    found = []
    for metric, before, after, team_id, root_cause_id, channel in session.execute(query):
        if (
            metric in THRESHOLDS
            and before is not None
            and after is not None
            and before <= THRESHOLDS[metric].unhappy_max
        ):
            found.append(Verified(metric, before, after, team_id, root_cause_id, channel))
    return found


def _share(group: str, group_id: int | None, rows: list[Verified], threshold: Threshold) -> RecoveryShare:
    n = len(rows)
    recovered = sum(1 for r in rows if r.after >= threshold.recovered_min)
    interval = wilson_interval(recovered, n)
    share = RecoveryShare(
        group=group,
        group_id=group_id,
        n=n,
        recovered=recovered,
        percent=recovered / n * 100 if n else None,
        interval=interval,
        small=n < MIN_N,
    )
    if threshold.promoter_min is not None:
        share.promoters = sum(1 for r in rows if r.after >= threshold.promoter_min)
        share.passives = recovered - share.promoters
    return share


def _by(
    rows: Iterable[Verified],
    key: Callable[[Verified], int | str | None],
    name: Callable[[int | str | None], str],
    threshold: Threshold,
) -> list[RecoveryShare]:
    groups: dict[int | str | None, list[Verified]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    shares = [_share(name(k), k if isinstance(k, int) else None, members, threshold) for k, members in groups.items()]
    return sorted(shares, key=lambda s: s.group)


def recovery_report(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> RecoveryReport:
    """Per metric with answered verifications: the recovered share overall and by team, root cause and channel."""
    rows = verified(session, since=since, until=until)
    teams = {t.id: t.key for t in access.list_teams(session)}
    causes: dict[int, str] = {row.id: row.key for row in session.execute(select(RootCause.id, RootCause.key))}
    metrics = []
    for metric in sorted({r.metric for r in rows}):
        threshold, mine = THRESHOLDS[metric], [r for r in rows if r.metric == metric]
        unhappy, recovered_when = threshold.labels()
        metrics.append(
            RecoveryMetric(
                metric=metric,
                unhappy=unhappy,
                recovered_when=recovered_when,
                total=_share("all", None, mine, threshold),
                by_team=_by(
                    mine, lambda r: r.team_id, lambda k: teams.get(k, NONE) if isinstance(k, int) else NONE, threshold
                ),
                by_root_cause=_by(
                    mine,
                    lambda r: r.root_cause_id,
                    lambda k: causes.get(k, NONE) if isinstance(k, int) else NONE,
                    threshold,
                ),
                by_channel=_by(mine, lambda r: r.channel, lambda k: str(k) if k else NONE, threshold),
            )
        )
    return RecoveryReport(since=since, until=until, min_n=MIN_N, metrics=metrics)
