"""What a message says about a case, an alert or an anomaly, so the person or system told can act without calling back:
the case (title, status, priority, team, owner, due times), the customer (external id, name), their account (name,
plan, ARR), and the response or feedback item behind it (score, trimmed comment, survey, touchpoint, channel); for
an alert the rule that fired and its conditions in words, and the anomaly when it fired on one; for an anomaly its
sentence and figures (aggregates, no customer). Stored in the message body when the event is fanned out
(bodies.py); personal data is what docs/webhooks.md lists, and an erasure takes it out of waiting messages.

Comments travel twice: `comment` as written (for webhook receivers, documented) and `comment_masked` with personal
data masked by text analytics (text/pii.py), which is all Slack and email show (`shown_comment`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cxloop.access import service as access
from cxloop.access.errors import UserNotFound
from cxloop.alerts import service as alerts
from cxloop.alerts.enums import AlertSource, RuleSource
from cxloop.alerts.fields import FIELDS
from cxloop.analytics import service as analytics
from cxloop.cases import service as cases
from cxloop.cases.errors import CaseNotFound
from cxloop.collection import service as collection
from cxloop.collection.errors import FeedbackNotFound, ResponseNotFound
from cxloop.core.clock import ensure_utc
from cxloop.customers import service as customers
from cxloop.text import pii
from cxloop.text import service as text_analytics
from cxloop.text.enums import ItemKind

COMMENT_CHARS = 500  # a comment is trimmed to this many characters (with an ellipsis)


def iso(at: datetime | None) -> str | None:
    return None if at is None else ensure_utc(at).isoformat().replace("+00:00", "Z")


def trim(text: str | None, limit: int = COMMENT_CHARS) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def masked_texts(session: Session, kind: ItemKind, texts: Mapping[int, str | None]) -> dict[int, str | None]:
    """These items' texts (by id) with personal data masked: text analytics' stored masked text, or masked now when
    the item is not analysed yet (the same masking). None stays None."""
    found = text_analytics.masked_texts(session, kind=kind, texts={i: t for i, t in texts.items() if t is not None})
    return {i: found.get(i) for i in texts}


def shown_comment(item: Mapping[str, Any]) -> str | None:
    """The comment (or feedback text) of a summarised item as people on the team read it in Slack and email: with
    personal data masked, never as written. Bodies stored before they carried `*_masked` are masked here."""
    for masked, original in (("comment_masked", "comment"), ("text_masked", "text")):
        if masked in item:
            return item[masked]  # type: ignore[no-any-return]
        if item.get(original):
            return pii.mask(item[original]).text
    return None


def customer(session: Session, customer_id: int | None) -> dict[str, Any] | None:
    """{id, external_id, name, account: {id, external_id, name, plan, arr} | None}; None without a customer."""
    if customer_id is None:
        return None
    row = customers.get_customer(session, customer_id=customer_id)
    if row is None:
        return None
    account = customers.get_account(session, account_id=row.account_id) if row.account_id is not None else None
    return {
        "id": row.id,
        "external_id": row.external_id,
        "name": row.name,
        "account": None
        if account is None
        else {
            "id": account.id,
            "external_id": account.external_id,
            "name": account.name,
            "plan": account.plan,
            "arr": float(account.arr) if account.arr is not None else None,
        },
    }


def item(session: Session, source: str, item_id: int) -> dict[str, Any] | None:
    """The response or feedback item behind a case or alert: scores, trimmed comment, survey, touchpoint."""
    try:
        if source == "response":
            r = collection.require_response(session, response_id=item_id)
            masked = masked_texts(session, ItemKind.response, {r.id: r.comment})[r.id]
            return {
                "source": source,
                "id": r.id,
                "survey": r.survey,
                "touchpoint": r.touchpoint,
                "channel": r.channel,
                "nps": r.nps,
                "csat": r.csat,
                "ces": r.ces,
                "comment": trim(r.comment),
                "comment_masked": trim(masked),
                "submitted_at": iso(r.submitted_at),
            }
        f = collection.require_feedback(session, feedback_id=item_id)
    except (ResponseNotFound, FeedbackNotFound):
        return None  # erased meanwhile
    return {
        "source": source,
        "id": f.id,
        "survey": None,
        "touchpoint": f.touchpoint,
        "channel": f.channel,
        "rating": f.rating,
        "comment": trim(f.text),
        "comment_masked": trim(masked_texts(session, ItemKind.feedback, {f.id: f.text})[f.id]),
        "submitted_at": iso(f.posted_at),
    }


def user(session: Session, user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    try:
        user = access.require_user(session, user_id=user_id)
    except UserNotFound:
        return None
    return {"id": user.id, "name": user.name or user.email, "email": user.email}


def case(session: Session, case_id: int) -> dict[str, Any] | None:
    """One case as messages show it; None when it is gone (erased)."""
    found = cases.case_reads(session, [c for c in [_case_row(session, case_id)] if c is not None])
    if not found:
        return None
    c = found[0]
    team = access.get_team(session, team_id=c.team_id) if c.team_id is not None else None
    trigger = c.triggers[0] if c.triggers else None
    return {
        "id": c.id,
        "title": c.title,
        "status": c.status.value,
        "priority": c.priority.value,
        "team": None if team is None else {"id": team.id, "key": team.key, "name": team.name},
        "owner": user(session, c.owner_user_id),
        "customer_id": c.customer_id,
        "customer": customer(session, c.customer_id),
        "item": item(session, trigger.source.value, trigger.id) if trigger else None,
        "created_at": iso(c.created_at),
        "due": {
            "acknowledge": iso(c.acknowledge_due_at),
            "first_response": iso(c.first_response_due_at),
            "close": iso(c.close_due_at),
        },
    }


def _case_row(session: Session, case_id: int) -> Any:
    try:
        return cases.require_case(session, case_id=case_id)
    except CaseNotFound:
        return None


def condition_words(conditions: Sequence[dict[str, Any]], source: str = RuleSource.feedback) -> str:
    """A rule's conditions in words: 'NPS answer, 0-10 (detractors: <= 6) <= 6 and ...' reads badly, so the field's
    name, the operator and the value: "nps <= 6 and text contains 'refund'"."""
    parts = []
    for condition in conditions:
        field, op, value = condition["field"], condition["op"], condition["value"]
        shown = ", ".join(map(_value, value)) if isinstance(value, list) else _value(value)
        name = field if field in FIELDS[RuleSource(source)] else f"{field} (unknown field)"
        parts.append(f"{name} {op} {'[' + shown + ']' if isinstance(value, list) else shown}")
    return " and ".join(parts)


def _value(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)


def alerts_of(session: Session, alert_ids: Sequence[int], *, limit: int) -> list[dict[str, Any]]:
    """The first `limit` alerts with their rule, condition in words, item, customer and case, or the anomaly."""
    found = alerts.list_alerts(session, ids=list(alert_ids)[:limit], limit=limit)
    rules: dict[int, Any] = {}
    out = []
    for alert in sorted(found, key=lambda a: a.id):
        if alert.rule_id not in rules:
            rules[alert.rule_id] = alerts.require_rule(session, rule_id=alert.rule_id)  # its alerts go with it
        rule = rules[alert.rule_id]
        anomalous = alert.source == AlertSource.anomaly
        out.append(
            {
                "id": alert.id,
                "rule": {
                    "id": rule.id,
                    "name": rule.name,
                    "version": alert.rule_version,
                    "source": rule.source,
                    "condition": condition_words(rule.conditions, rule.source),
                },
                "source": alert.source.value,
                "customer_id": alert.customer_id,
                "customer": customer(session, alert.customer_id),
                "item": None if anomalous else item(session, alert.source.value, alert.source_id),
                "anomaly": next(iter(anomalies_of(session, [alert.source_id], limit=1)), None) if anomalous else None,
                "case_id": alert.case_id,
                "tags": alert.tags,
                "fired_at": iso(alert.fired_at),
            }
        )
    return out


def anomalies_of(session: Session, anomaly_ids: Sequence[int], *, limit: int) -> list[dict[str, Any]]:
    """The first `limit` anomalies: the sentence, what changed where and when, the value against the baseline with
    the 95% margin of the change and both n, and the q-value (false-discovery rate over the scan)."""
    return [
        {
            "id": a.id,
            "explanation": a.explanation,
            "metric": a.metric,
            "kind": a.kind.value,
            "series": a.series,
            "scope": a.scope,
            "scope_key": a.scope_key,
            "granularity": a.granularity,
            "period_start": a.period_start.isoformat(),
            "direction": a.direction,
            "value": a.value,
            "baseline": a.baseline,
            "change": a.value - a.baseline,
            "margin": a.margin,
            "n": a.n,
            "baseline_n": a.baseline_n,
            "p_value": a.p_value,
            "q_value": a.q_value,
            "detected_at": iso(a.detected_at),
        }
        for a in analytics.get_anomalies(session, ids=list(anomaly_ids)[:limit])
    ]


def anomaly_lines(anomaly: dict[str, Any]) -> list[str]:
    """An anomaly in plain words for Slack and email: its sentence, then the figures a reader checks it by."""
    period = f"{anomaly['granularity']} of {anomaly['period_start']}"
    return [
        anomaly["explanation"],
        f"{anomaly['metric']} · {anomaly['scope']} · {period} · {anomaly['direction']}: "
        f"{anomaly['value']:.3g} vs {anomaly['baseline']:.3g} (change {anomaly['change']:+.3g} ± "
        f"{anomaly['margin']:.3g}, 95%), n = {anomaly['n']} vs {anomaly['baseline_n']}, q = {anomaly['q_value']:.2g}",
    ]


def anomaly_alert_lines(alert: dict[str, Any]) -> list[str] | None:
    """What an alert fired on an anomaly says in words (its sentence and figures); None for an alert on feedback."""
    if alert.get("source") != AlertSource.anomaly:
        return None
    return anomaly_lines(alert["anomaly"]) if alert.get("anomaly") else ["(the anomaly is gone)"]
