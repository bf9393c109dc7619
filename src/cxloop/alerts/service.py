"""The alerts domain's public API: rules (validated, versioned), the dry run, and firing on stored items (responses
and feedback items, or anomalies, by the rule's source).

Import it as `from cxloop.alerts import service as alerts`. Functions take a Session, flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxloop.alerts import matching, queries
from cxloop.alerts.enums import ITEMS, RuleSource, rule_source_of
from cxloop.alerts.fields import Source
from cxloop.alerts.models import Alert, AlertRule
from cxloop.alerts.schemas import (
    Action,
    AddTags,
    AlertRead,
    Condition,
    Notify,
    OpenCase,
    RuleCreate,
    RuleDraft,
    RuleRead,
    RuleUpdate,
    TryResult,
)
from cxloop.cases import service as cases
from cxloop.cases.enums import TriggerSource
from cxloop.cases.schemas import Actor, CaseOpen, RoutingContext, TriggerRef
from cxloop.core.clock import utcnow
from cxloop.core.errors import FieldError, InvalidInput, NotFound
from cxloop.customers import service as customers
from cxloop.jobs import outbox
from cxloop.jobs.events import ALERT_FIRED
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from cxloop.text.themes import service as themes

ALERTS_ACTOR = Actor("alerts")


def _check(
    session: Session,
    *,
    source: RuleSource,
    conditions: Sequence[Condition] | None,
    actions: Sequence[Action] | None,
) -> None:
    errors = matching.condition_errors(conditions or [], source=source)
    if conditions and not errors:
        for key in sorted(matching.segment_keys(conditions, source)):
            if customers.get_segment(session, key=key) is None:
                errors.append(FieldError("conditions", f"no segment with the key {key!r}"))
        if not any(matching.applies_to(conditions, source, item) for item in ITEMS[source]):
            errors.append(FieldError("conditions", "no response or feedback item carries all of these fields"))
    kinds = [a.kind for a in actions or []]
    if len(kinds) != len(set(kinds)):
        errors.append(FieldError("actions", "each kind of action at most once"))
    for i, action in enumerate(actions or []):
        if source == RuleSource.anomaly and isinstance(action, OpenCase):
            reason = "an anomaly rule cannot open a case: no customer is attached to an anomaly; use notify or tag"
            errors.append(FieldError(f"actions[{i}].kind", reason))
    if errors:
        raise InvalidInput("the alert rule is not valid", errors=errors)


def _dump(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [i.model_dump(mode="json") for i in items]


def read(rule: AlertRule) -> RuleRead:
    return RuleRead.model_validate(rule)


def draft_of(rule: AlertRule) -> RuleDraft:
    return RuleDraft.model_validate(
        {"name": rule.name, "source": rule.source, "conditions": rule.conditions, "actions": rule.actions}
    )


def create_rule(session: Session, *, data: RuleCreate) -> AlertRule:
    _check(session, source=data.source, conditions=data.conditions, actions=data.actions)
    now = utcnow()
    rule = AlertRule(
        name=data.name,
        source=data.source.value,
        enabled=data.enabled,
        version=1,
        conditions=_dump(data.conditions),
        actions=_dump(data.actions),
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    session.flush()
    return rule


def require_rule(session: Session, *, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"no alert rule {rule_id}")
    return rule


def list_rules(session: Session, *, enabled: bool | None = None, source: RuleSource | None = None) -> list[AlertRule]:
    query = select(AlertRule).order_by(AlertRule.id)
    if enabled is not None:
        query = query.where(AlertRule.enabled.is_(enabled))
    if source is not None:
        query = query.where(AlertRule.source == source.value)
    return list(session.scalars(query))


def update_rule(session: Session, *, rule_id: int, data: RuleUpdate) -> AlertRule:
    """Change what was sent; a new name, conditions or actions bump the version (alerts record the one that fired).
    The source stays what the rule was created with."""
    rule = require_rule(session, rule_id=rule_id)
    _check(session, source=RuleSource(rule.source), conditions=data.conditions, actions=data.actions)
    changed = False
    if data.name is not None and data.name != rule.name:
        rule.name, changed = data.name, True
    for name, items in (("conditions", data.conditions), ("actions", data.actions)):
        if items is not None and _dump(items) != getattr(rule, name):
            setattr(rule, name, _dump(items))
            changed = True
    if changed:
        rule.version += 1
    if data.enabled is not None:
        rule.enabled = data.enabled
    rule.updated_at = utcnow()
    session.flush()
    return rule


def delete_rule(session: Session, *, rule_id: int) -> None:
    """Remove a rule and the record of its alerts (cases it opened stay)."""
    session.delete(require_rule(session, rule_id=rule_id))
    session.flush()


def _members(session: Session, keys: Iterable[str], facts: Sequence[queries.Facts]) -> matching.Members:
    customer_ids = sorted({f["customer_id"] for f in facts if f["customer_id"] is not None})
    members: dict[str, set[int]] = {}
    for key in keys:
        segment = customers.get_segment(session, key=key)
        members[key] = (
            customers.matching_customer_ids(session, text=segment.filter, customer_ids=customer_ids)
            if segment is not None and customer_ids
            else set()
        )
    return members


def _add_analysis(session: Session, source: Source, facts: Sequence[queries.Facts]) -> None:
    """Add `sentiment`, `sentiment_score` and `theme` to these facts (once: later rules reuse them) from the stored
    text analysis and themes. Nothing is scored here: rules that read them wait for the enrichment (`fire`), and
    an item without an analysis (no text, or its analysis failed) has none, which no condition holds on."""
    pending = [f for f in facts if "sentiment" not in f]
    if not pending:
        return
    kind = ItemKind(source.value)
    ids = [f["id"] for f in pending]
    found = text.stored_sentiments(session, kind=kind, ids=ids)
    named = themes.themes_of_items(session, kind=kind, ids=ids)
    for f in pending:
        sentiment = found.get(f["id"])
        f["sentiment"] = sentiment.label.value if sentiment else None
        f["sentiment_score"] = sentiment.score if sentiment else None
        names = named.get(f["id"])  # an analysed text got its themes in the same step: none is an empty list
        f["theme"] = names[0] if names else ([] if sentiment else None)


def _matching(
    session: Session, draft: RuleDraft, source: Source, facts: Sequence[queries.Facts]
) -> list[queries.Facts]:
    if not facts or not matching.applies_to(draft.conditions, draft.source, source):
        return []
    if source == Source.anomaly:  # aggregates: no text to analyse, no customer in a segment
        return [f for f in facts if matching.matches(draft.conditions, draft.source, f, None)]
    if matching.needs_text(draft.conditions, draft.source):
        _add_analysis(session, source, facts)
    members = _members(session, matching.segment_keys(draft.conditions, draft.source), facts)
    return [f for f in facts if matching.matches(draft.conditions, draft.source, f, members)]


def try_rule(session: Session, *, draft: RuleDraft, days: int, now: datetime | None = None) -> TryResult:
    """How often `draft` would have fired on the items received (anomalies: detected) in the last `days` days.
    Writes nothing."""
    _check(session, source=draft.source, conditions=draft.conditions, actions=draft.actions)
    since = (now or utcnow()) - timedelta(days=days)
    counts = dict.fromkeys(Source, 0)
    examined = 0
    for source in ITEMS[draft.source]:
        for batch in queries.iter_facts_since(session, source=source, since=since):
            examined += len(batch)
            counts[source] += len(_matching(session, draft, source, batch))
    return TryResult(
        days=days,
        since=since,
        matches=sum(counts.values()),
        responses=counts[Source.response],
        feedback=counts[Source.feedback],
        anomalies=counts[Source.anomaly],
        examined=examined,
    )


def would_fire(session: Session, *, source: Source, since: datetime) -> list[int]:
    """The ids of the items received since `since` that at least one enabled rule matches now, in id order. Writes
    nothing (the demo uses it to fire each matching item at its own instant)."""
    rules = [draft_of(rule) for rule in list_rules(session, enabled=True, source=rule_source_of(source))]
    matched: set[int] = set()
    for batch in queries.iter_facts_since(session, source=source, since=since) if rules else ():
        matched.update(item["id"] for draft in rules for item in _matching(session, draft, source, batch))
    return sorted(matched)


def fire(session: Session, *, source: Source, ids: Sequence[int], analysed: bool = False) -> list[int]:
    """Evaluate the enabled rules of the items' kind on these items (responses and feedback items: feedback rules;
    anomalies: anomaly rules): insert one alert per (rule, item) that matches, run its actions, and emit
    `alert.fired` for those whose rule notifies. Rules that read the text's analysis (sentiment, theme) are
    evaluated only when `analysed` (the items' enrichment is stored: `response.enriched`), the others only when
    not (at once, on `response.received`): each rule is decided once per item, on what it reads. An alert already
    there (a replay, another relay) is skipped with its actions: exactly once. Returns the ids of the alerts made
    now."""
    drafts = [(rule, draft_of(rule)) for rule in list_rules(session, enabled=True, source=rule_source_of(source))]
    rules = [(rule, draft) for rule, draft in drafts if matching.needs_text(draft.conditions, draft.source) == analysed]
    facts = queries.facts_of(session, source=source, ids=ids) if rules else []
    notify: list[int] = []
    made: list[int] = []
    for rule, draft in rules:
        for item in _matching(session, draft, source, facts):
            alert = _insert(session, rule, draft, source, item)
            if alert is None:
                continue
            made.append(alert.id)
            if any(isinstance(a, Notify) for a in draft.actions):
                notify.append(alert.id)
    if notify:
        outbox.emit(session, ALERT_FIRED, {"alert_ids": notify})
    return made


def _insert(session: Session, rule: AlertRule, draft: RuleDraft, source: Source, item: queries.Facts) -> Alert | None:
    tags = sorted({t for a in draft.actions if isinstance(a, AddTags) for t in a.tags})
    alert = Alert(
        rule_id=rule.id,
        rule_version=rule.version,
        source=source.value,
        source_id=item["id"],
        customer_id=item["customer_id"],
        tags=tags,
        fired_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None  # fired already for this item (the unique constraint decides, also between two workers)
    opening = next((a for a in draft.actions if isinstance(a, OpenCase)), None)
    if opening is not None and item["customer_id"] is not None:  # never on an anomaly: refused when saved
        case, _ = cases.open_case(
            session,
            data=CaseOpen(
                customer_id=item["customer_id"],
                triggers=[TriggerRef(source=TriggerSource(source.value), id=item["id"])],
                title=f"Alert: {rule.name}"[:300],
                priority=opening.priority,
                tags=tags,
                context=RoutingContext(survey_id=item.get("survey"), touchpoint_id=item.get("touchpoint")),
            ),
            actor=ALERTS_ACTOR,
        )
        alert.case_id = case.id
        session.flush()
    return alert


def list_alerts(
    session: Session, *, rule_id: int | None = None, ids: Sequence[int] | None = None, limit: int = 50
) -> list[AlertRead]:
    """Fired alerts, newest first."""
    query = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if rule_id is not None:
        query = query.where(Alert.rule_id == rule_id)
    if ids is not None:
        query = query.where(Alert.id.in_(list(ids)))
    return [AlertRead.model_validate(a) for a in session.scalars(query)]
