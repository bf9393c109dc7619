"""The weekly team digest: last week (Monday to Sunday in the team's timezone) in one email to each team member who
opted in (default: the team lead only).

What it holds (digest_letter.py writes it):
- NPS, CSAT and CES of the week with n and 95 % interval, and the change against the week before with its test
  (analytics' weekly comparison): "significant" or "within noise", small samples flagged;
- new detractors (NPS 0-6) of the week: how many, and the lowest few with their comment (personal data masked);
- the team's cases: open now, SLA breaches recorded in the week, and SLA attainment: of the clocks that came due in
  the week, the share met, with n and its Wilson interval.
Metrics and detractors are the organisation's (responses belong to no team); cases and SLAs are the team's.

Sent by the worker's `notifications.send_digests` job (every 15 minutes: a team's digest is due from Monday 08:00 in
its timezone) once per team and week (`notification_digests`), through the notifications sender (messages to each
person's inbox destination, sent with no transaction open). `cxloop digest preview|send` (cli/digest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.analytics import service as analytics
from cxloop.analytics.enums import GroupKey, MetricKind
from cxloop.analytics.schemas import MetricQuery
from cxloop.analytics.stats import wilson_interval
from cxloop.audit import service as audit
from cxloop.audit.enums import AuditAction
from cxloop.audit.schemas import AuditActor
from cxloop.branding import service as branding
from cxloop.cases import service as cases
from cxloop.collection import service as collection
from cxloop.core.clock import ensure_utc
from cxloop.notifications import service as notifications
from cxloop.notifications import summaries
from cxloop.notifications.digest_letter import DIGEST_TYPE
from cxloop.notifications.models import DigestPreference, DigestSent
from cxloop.notifications.schemas import DigestPreferenceRead
from cxloop.text.enums import ItemKind

SEND_WEEKDAY, SEND_AT = 0, time(8, 0)  # Monday 08:00 in the team's timezone
TOP_DETRACTORS = 5
SMALL_SAMPLE = 30  # fewer answers than this: the figure is flagged as a small sample


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def due_week(team_timezone: str, *, now: datetime) -> date | None:
    """The week whose digest is due for a team at `now`: last week, from Monday 08:00 (local) on; None before."""
    local = ensure_utc(now).astimezone(ZoneInfo(team_timezone))
    this_monday = monday(local.date())
    if local.replace(tzinfo=None) < datetime.combine(this_monday, SEND_AT):
        return None
    return last_week(team_timezone, now=now)


def last_week(team_timezone: str, *, now: datetime) -> date:
    """The Monday of the last full week in the team's timezone."""
    return monday(ensure_utc(now).astimezone(ZoneInfo(team_timezone)).date()) - timedelta(days=7)


def due_teams(session: Session, *, now: datetime) -> list[tuple[int, date]]:
    """(team, week start) of each team whose last week's digest is due and not yet queued."""
    sent = {(row.team_id, row.week_start) for row in session.execute(select(DigestSent.team_id, DigestSent.week_start))}
    due = []
    for team in access.list_teams(session):
        week = due_week(team.timezone, now=now)
        if week is not None and (team.id, week) not in sent:
            due.append((team.id, week))
    return due


def _window(week_start: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    start = datetime.combine(week_start, time(), zone).astimezone(UTC)
    return start, datetime.combine(week_start + timedelta(days=7), time(), zone).astimezone(UTC)


def _significance(change: float | None, significant: bool | None, n: int) -> str:
    if change is None:
        return "no answers the week before to compare with"
    if n < SMALL_SAMPLE:
        return f"{'significant' if significant else 'within noise'} (small sample: n = {n})"
    if not significant:
        return "within noise"
    return "significant rise" if change > 0 else "significant fall"


def _metric(session: Session, metric: MetricKind, week_start: date, timezone: str) -> dict[str, Any]:
    query = MetricQuery(
        metric=metric, group_by=[GroupKey.week], tz=timezone, start=week_start, end=week_start + timedelta(days=6)
    )
    groups = analytics.compute_metric(session, query=query).groups
    group = groups[-1] if groups else None
    n = group.n if group else 0
    value = group.value if group else None
    change = group.change if group else None
    return {
        "metric": metric.value,
        "value": value,
        "n": n,
        "ci_low": group.ci_low if group else None,
        "ci_high": group.ci_high if group else None,
        "detractors": group.detractors if group else None,
        "change": change,
        "previous": None if value is None or change is None else round(value - change, 4),
        "significant": bool(group.change_significant) if group and change is not None else None,
        "small_sample": n < SMALL_SAMPLE,
        "in_words": "no answers this week"
        if not n
        else _significance(change, group.change_significant if group else None, n),
    }


def build(session: Session, *, team_id: int, week_start: date, now: datetime) -> dict[str, Any]:
    """The digest of one team and week (a Monday), as the message body's data."""
    if week_start.weekday() != SEND_WEEKDAY:
        raise ValueError(f"a digest week starts on a Monday; {week_start.isoformat()} is a {week_start:%A}")
    team = access.require_team(session, team_id=team_id)
    since, until = _window(week_start, team.timezone)
    metrics = [
        _metric(session, kind, week_start, team.timezone) for kind in (MetricKind.nps, MetricKind.csat, MetricKind.ces)
    ]
    top = collection.list_detractors(session, since=since, until=until, limit=TOP_DETRACTORS)
    masked = summaries.masked_texts(session, ItemKind.response, {r.id: r.comment for r in top})
    week = cases.team_week(session, team_id=team.id, since=since, until=until, as_of=now)
    interval = wilson_interval(week.clocks_met, week.clocks_due)
    brand = branding.current(session)
    return {
        "team": {"id": team.id, "key": team.key, "name": team.name, "timezone": team.timezone},
        "week_start": week_start.isoformat(),
        "week_end": (week_start + timedelta(days=6)).isoformat(),
        "since": summaries.iso(since),
        "until": summaries.iso(until),
        "metrics": metrics,
        "new_detractors": metrics[0]["detractors"] or 0,
        "detractors": [
            {
                "id": r.id,
                "customer_id": r.customer_id,
                "customer_external_id": r.customer_external_id,
                "nps": r.nps,
                "survey": r.survey,
                "touchpoint": r.touchpoint,
                "comment": summaries.trim(masked[r.id], 300),  # an email to staff: masked
                "submitted_at": summaries.iso(r.submitted_at),
            }
            for r in top
        ],
        "team_cases": {
            "open": week.open_cases,
            "breaches": week.breaches,
            "sla_met": week.clocks_met,
            "sla_n": week.clocks_due,
            "sla_percent": round(week.clocks_met / week.clocks_due * 100, 1) if week.clocks_due else None,
            "sla_interval": [round(v, 1) for v in interval] if interval else None,
            "small_sample": week.clocks_due < SMALL_SAMPLE,
        },
        "brand": {
            "name": brand.organisation_name,
            "colour": brand.colour,
            "text_colour": brand.text_on_colour,
            "logo_path": brand.logo_url(""),
        },
    }


def _leads(session: Session) -> set[int]:
    return {t.lead_user_id for t in access.list_teams(session) if t.lead_user_id is not None}


def preference(session: Session, *, user_id: int) -> DigestPreferenceRead:
    """Whether a user gets the weekly digest: their choice, else the default (on for a team lead)."""
    access.require_user(session, user_id=user_id)
    pref = session.get(DigestPreference, user_id)
    if pref is not None:
        return DigestPreferenceRead(user_id=user_id, weekly_digest=pref.weekly_digest, chosen=True)
    return DigestPreferenceRead(user_id=user_id, weekly_digest=user_id in _leads(session), chosen=False)


def set_preference(session: Session, *, user_id: int, weekly_digest: bool, now: datetime) -> DigestPreferenceRead:
    """Opt a user in or out of their teams' weekly digests."""
    access.require_user(session, user_id=user_id)
    pref = session.get(DigestPreference, user_id)
    if pref is None:
        session.add(DigestPreference(user_id=user_id, weekly_digest=weekly_digest, updated_at=now))
    else:
        pref.weekly_digest, pref.updated_at = weekly_digest, now
    session.flush()
    return DigestPreferenceRead(user_id=user_id, weekly_digest=weekly_digest, chosen=True)


def choose(
    session: Session, *, user_id: int, weekly_digest: bool, actor: AuditActor, now: datetime
) -> DigestPreferenceRead:
    """`set_preference` and its audit entry (`user.digest_changed`), for the API, the web app and the CLI."""
    before = preference(session, user_id=user_id)
    changed = set_preference(session, user_id=user_id, weekly_digest=weekly_digest, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.user_digest_changed,
        target_id=user_id,
        # "weekly_email", not "weekly_digest": the audit log redacts fields named like a key digest
        before={"weekly_email": before.weekly_digest},
        after={"weekly_email": changed.weekly_digest},
    )
    return changed


def recipients(session: Session, *, team_id: int) -> list[int]:
    """The team's lead and members who opted in (the lead by default), active ones only."""
    team = access.require_team(session, team_id=team_id)
    people = set(access.team_member_ids(session, team_id=team.id))
    if team.lead_user_id is not None:
        people.add(team.lead_user_id)
    chosen = dict(
        session.execute(
            select(DigestPreference.user_id, DigestPreference.weekly_digest).where(DigestPreference.user_id.in_(people))
        ).all()
    )
    return sorted(u for u in people if chosen.get(u, u == team.lead_user_id))


def queue_digest(
    session: Session, *, team_id: int, week_start: date, now: datetime, again: bool = False
) -> list[int] | None:
    """Queue the team's digest of the week to each recipient, once per team and week: the message ids, or None
    when it was queued already (`again` queues it anew, e.g. after a person opted in)."""
    data = build(session, team_id=team_id, week_start=week_start, now=now)
    people = recipients(session, team_id=team_id)
    try:
        with session.begin_nested():
            session.add(DigestSent(team_id=team_id, week_start=week_start, queued_at=now, recipients=len(people)))
            session.flush()
    except IntegrityError:
        if not again:
            return None
        sent = session.get_one(DigestSent, (team_id, week_start))
        sent.queued_at, sent.recipients = now, len(people)
    body = {"type": DIGEST_TYPE, "timestamp": summaries.iso(now), "data": data}
    destination_ids = [d for u in people if (d := notifications.person_destination(session, user_id=u, now=now))]
    return notifications.queue_direct(session, destination_ids=destination_ids, name=DIGEST_TYPE, body=body, now=now)
