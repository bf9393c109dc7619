""" "You asked, we fixed it": an improvement announced once to every customer whose feedback led to a case with its
root cause (or, for a theme, a case tagged with it), through the follow-up pipeline (docs/follow-ups.md).

The (improvement, customer) pair is unique on case_follow_ups, so announcing again queues nothing for those told
already; customers refused by `follow_ups._refusal` (opt-outs of the follow_up purpose, no consent, no address, the
holdout) are counted by reason and not stored, so a later run reaches them if they opt in meanwhile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxloop.branding import service as branding
from cxloop.cases.enums import FollowUpChannel
from cxloop.cases.errors import ImprovementNotFound
from cxloop.cases.follow_up_schemas import AnnounceCounts, ImprovementCreate, ImprovementRead
from cxloop.cases.models import Case, FollowUp, Improvement, RootCause
from cxloop.cases.schemas import Actor
from cxloop.cases.service import follow_up_text as text
from cxloop.cases.service import follow_ups
from cxloop.cases.service.follow_up_templates import wording_fields
from cxloop.cases.service.root_causes import require_root_cause
from cxloop.core.clock import utcnow
from cxloop.customers import service as customers
from cxloop.governance import consent, scoped_policies

ALREADY_ANNOUNCED = "already_announced"
_BATCH = 500


def create_improvement(session: Session, *, data: ImprovementCreate, now: datetime | None = None) -> Improvement:
    """Store an improvement; 422 naming an unknown root cause or placeholder."""
    fields = wording_fields(data)
    cause = require_root_cause(session, key=data.root_cause) if data.root_cause else None
    row = Improvement(
        title=data.title,
        root_cause_id=cause.id if cause else None,
        theme=data.theme,
        shipped_at=data.shipped_at,
        created_at=now or utcnow(),
        last_counts={},
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def require_improvement(session: Session, *, improvement_id: int) -> Improvement:
    row = session.get(Improvement, improvement_id)
    if row is None:
        raise ImprovementNotFound(f"no improvement {improvement_id}")
    return row


def list_improvements(session: Session) -> list[Improvement]:
    return list(session.scalars(select(Improvement).order_by(Improvement.shipped_at.desc(), Improvement.id.desc())))


def improvement_reads(session: Session, rows: list[Improvement]) -> list[ImprovementRead]:
    ids = [r.id for r in rows]
    sent = (
        dict(
            session.execute(
                select(FollowUp.improvement_id, func.count())
                .where(FollowUp.improvement_id.in_(ids), FollowUp.status == "sent")
                .group_by(FollowUp.improvement_id)
            ).all()
        )
        if ids
        else {}
    )
    causes = dict(session.execute(select(RootCause.id, RootCause.key)).all()) if rows else {}
    return [
        ImprovementRead(
            id=r.id,
            title=r.title,
            channel=FollowUpChannel(r.channel),
            subject=r.subject,
            body=r.body,
            translations=r.translations or {},
            root_cause=causes.get(r.root_cause_id) if r.root_cause_id else None,
            theme=r.theme,
            shipped_at=r.shipped_at,
            created_at=r.created_at,
            announced_at=r.announced_at,
            last_counts=r.last_counts or {},
            sent=sent.get(r.id, 0),
        )
        for r in rows
    ]


def _matching_cases(session: Session, improvement: Improvement) -> Iterator[tuple[int, int, list[str]]]:
    """(case id, customer id, tags) of the cases the improvement answers, newest first, read in batches."""
    conditions = []
    if improvement.root_cause_id is not None:
        conditions.append(Case.root_cause_id == improvement.root_cause_id)
    if improvement.theme:
        # A coarse filter in SQL (the JSON text holds the quoted tag), made exact below.
        needle = improvement.theme.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(cast(Case.tags, String).like(f'%"{needle}"%', escape="\\"))
    if not conditions:
        return
    last_id: int | None = None
    while True:
        query = select(Case.id, Case.customer_id, Case.tags, Case.root_cause_id).order_by(Case.id.desc()).limit(_BATCH)
        query = query.where(conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1])
        if last_id is not None:
            query = query.where(Case.id < last_id)
        rows = session.execute(query).all()
        for row in rows:
            tags = list(row.tags or [])
            by_cause = improvement.root_cause_id is not None and row.root_cause_id == improvement.root_cause_id
            if by_cause or (improvement.theme and improvement.theme in tags):
                yield row.id, row.customer_id, tags
        if len(rows) < _BATCH:
            return
        last_id = rows[-1].id


@dataclass
class _Tally:
    queued: int = 0
    already: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def announce(session: Session, *, improvement_id: int, actor: Actor, now: datetime | None = None) -> AnnounceCounts:
    """Queue one message per matching customer not told yet (about their newest matching case); count the rest.
    Customers are decided in batches of 500: their rows, consent and contact policies read once per batch."""
    now = now or utcnow()
    improvement = require_improvement(session, improvement_id=improvement_id)
    told = set(session.scalars(select(FollowUp.customer_id).where(FollowUp.improvement_id == improvement.id)).all())
    seen: set[int] = set()
    tally = _Tally()
    pending: list[tuple[int, int]] = []
    for case_id, customer_id, _ in _matching_cases(session, improvement):
        if customer_id in seen:
            continue  # their newest matching case came first
        seen.add(customer_id)
        if customer_id in told:
            tally.already += 1
            continue
        pending.append((case_id, customer_id))
        if len(pending) == _BATCH:
            _announce_batch(session, improvement, pending, actor, tally, now=now)
            pending = []
    _announce_batch(session, improvement, pending, actor, tally, now=now)
    counts = AnnounceCounts(
        matched=len(seen), queued=tally.queued, already_announced=tally.already, skipped=dict(tally.skipped)
    )
    improvement.announced_at = now
    improvement.last_counts = counts.model_dump()
    session.flush()
    return counts


def _announce_batch(
    session: Session,
    improvement: Improvement,
    pending: list[tuple[int, int]],
    actor: Actor,
    tally: _Tally,
    *,
    now: datetime,
) -> None:
    if not pending:
        return
    channel = FollowUpChannel(improvement.channel)
    customer_ids = [customer_id for _, customer_id in pending]
    people = customers.lock_customers(session, customer_ids=customer_ids)
    states = consent.states_of(session, customer_ids)
    default_policy, scoped = scoped_policies.policies_for(session, customer_ids, now=now)
    case_rows = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_([i for i, _ in pending])))}
    organisation = branding.current(session).organisation_name or ""
    rows: list[FollowUp] = []
    for case_id, customer_id in pending:
        case, customer = case_rows[case_id], people[customer_id]
        said = follow_ups.verdict(
            session,
            case=case,
            customer=customer,
            channel=channel,
            now=now,
            policy=scoped.get(customer_id, default_policy),
            states=states.get(customer_id, {}),
        )
        if not said.allowed:
            tally.skipped[said.rule or "refused"] += 1
            continue
        chosen = text.pick_wording(
            improvement.subject, improvement.body, improvement.translations or {}, customer.locale
        )
        values = follow_ups.placeholder_values(
            session, case=case, customer=customer, actor=actor, organisation=organisation
        )
        values["improvement"] = improvement.title
        subject = text.render(chosen.subject, values) if chosen.subject and channel == FollowUpChannel.email else None
        rendered = follow_ups.Rendered(None, None, chosen.locale, subject, text.render(chosen.body, values))
        rows.append(
            follow_ups.new_follow_up(
                case=case,
                customer=customer,
                channel=channel,
                rendered=rendered,
                actor=actor,
                at=said.send_at or now,
                now=now,
                improvement_id=improvement.id,
            )
        )
    stored = _store(session, rows)
    follow_ups.send_when_committed(session, stored, now=now)
    tally.queued += len(stored)
    tally.already += len(rows) - len(stored)


def _store(session: Session, rows: list[FollowUp]) -> list[FollowUp]:
    """Insert the batch in one go; when another announcement of the same improvement stored some of its customers
    meanwhile (the unique constraint), insert one by one and leave those out."""
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
        return rows
    except IntegrityError:
        pass
    stored = []
    for row in rows:
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        stored.append(row)
    return stored
