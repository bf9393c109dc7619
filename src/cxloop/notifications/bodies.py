"""The JSON body of an event's message, as every destination gets it: `{"type", "timestamp", "data"}` (the
Standard Webhooks shape). `data` holds the event's ids and, for responses, feedback, alerts, cases and anomalies, a
summary of each (up to SUMMARISED per message; summaries.py) so a receiver or a Slack channel can act without calling
back; free text as written and masked (`comment` / `comment_masked`, `text` / `text_masked`: Slack and email show
only the masked one). Built once, when the event is fanned out, and stored: every attempt sends the same bytes.
docs/webhooks.md documents each type's JSON Schema."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cxloop.collection import service as collection
from cxloop.core.clock import ensure_utc
from cxloop.jobs.events import (
    ALERT_FIRED,
    ANOMALY_DETECTED,
    CASE_CLOSED,
    CASE_CREATED,
    CASE_RESOLVED,
    CASE_SLA_BREACHED,
    CASE_SLA_WARNING,
    CASE_UPDATED,
    FEEDBACK_RECEIVED,
    RESPONSE_RECEIVED,
)
from cxloop.notifications import summaries
from cxloop.text.enums import ItemKind

SUMMARISED = 100  # items summarised in one message; all ids are always listed


def _responses(session: Session, ids: list[int]) -> dict[str, Any]:
    items = []
    rows = [collection.require_response(session, response_id=response_id) for response_id in ids[:SUMMARISED]]
    masked = summaries.masked_texts(session, ItemKind.response, {r.id: r.comment for r in rows})
    for r in rows:
        items.append(
            {
                "id": r.id,
                "survey": r.survey,
                "channel": r.channel,
                "nps": r.nps,
                "csat": r.csat,
                "ces": r.ces,
                "comment": r.comment,
                "comment_masked": masked[r.id],
                "customer_id": r.customer_id,
                "customer_external_id": r.customer_external_id,
                "submitted_at": _iso(r.submitted_at),
            }
        )
    return {"responses": items}


def _feedback(session: Session, ids: list[int]) -> dict[str, Any]:
    items = []
    rows = [collection.require_feedback(session, feedback_id=feedback_id) for feedback_id in ids[:SUMMARISED]]
    masked = summaries.masked_texts(session, ItemKind.feedback, {f.id: f.text for f in rows})
    for f in rows:
        items.append(
            {
                "id": f.id,
                "kind": f.kind,
                "source": f.source,
                "channel": f.channel,
                "rating": f.rating,
                "text": f.text,
                "text_masked": masked[f.id],
                "url": f.url,
                "customer_id": f.customer_id,
                "customer_external_id": f.customer_external_id,
                "posted_at": _iso(f.posted_at),
            }
        )
    return {"feedback": items}


def _alerts(session: Session, ids: list[int]) -> dict[str, Any]:
    return {"alerts": summaries.alerts_of(session, ids, limit=SUMMARISED)}


def _anomalies(session: Session, ids: list[int]) -> dict[str, Any]:
    return {"anomalies": summaries.anomalies_of(session, ids, limit=SUMMARISED)}


def _cases(session: Session, ids: list[int]) -> dict[str, Any]:
    found = (summaries.case(session, case_id) for case_id in ids[:SUMMARISED])
    return {"cases": [c for c in found if c is not None]}


# Events whose message carries more than the ids; every other event's data is its payload (ids) alone. The SLA
# events name one case (`case_id`): their data gets `cases` with that one case.
_SUMMARIES: dict[str, tuple[str, Callable[[Session, list[int]], dict[str, Any]]]] = {
    RESPONSE_RECEIVED: ("response_ids", _responses),
    FEEDBACK_RECEIVED: ("feedback_ids", _feedback),
    ALERT_FIRED: ("alert_ids", _alerts),
    ANOMALY_DETECTED: ("anomaly_ids", _anomalies),
    **dict.fromkeys((CASE_CREATED, CASE_UPDATED, CASE_RESOLVED, CASE_CLOSED), ("case_ids", _cases)),
    **dict.fromkeys((CASE_SLA_WARNING, CASE_SLA_BREACHED), ("case_id", _cases)),
}


def _iso(at: datetime) -> str:
    return ensure_utc(at).isoformat().replace("+00:00", "Z")


def event_body(session: Session, *, name: str, payload: dict[str, Any], created_at: datetime) -> dict[str, Any]:
    """The message body of one outbox event."""
    data = dict(payload)
    summary = _SUMMARIES.get(name)
    if summary is not None:
        key, summarise = summary
        ids = payload[key]
        data.update(summarise(session, list(ids) if isinstance(ids, list) else [ids]))
    if "clock" in payload:  # an SLA event: who owned the case when it was missed (escalation may reassign it)
        data["owner"] = summaries.user(session, payload.get("owner_user_id"))
    return {"type": name, "timestamp": _iso(created_at), "data": data}


def probe_body(*, destination_id: int, now: datetime) -> dict[str, Any]:
    """The body of `cxloop webhooks test`: proves the URL, the signature and the receiver's answer."""
    return {"type": "webhook.test", "timestamp": _iso(now), "data": {"destination_id": destination_id}}


def score_text(item: dict[str, Any]) -> str:
    """An item's scores in words: 'NPS 3, CSAT 2', 'rating 1' or 'no score' (Slack and email show it)."""
    scores = [f"{name.upper()} {item[name]}" for name in ("nps", "csat", "ces") if item.get(name) is not None]
    if item.get("rating") is not None:
        scores.append(f"rating {item['rating']}")
    return ", ".join(scores) or "no score"


def linked_items(data: dict[str, Any], *, public_url: str) -> list[tuple[dict[str, Any], str]]:
    """The summarised responses and feedback items of a body's data, each with its API link."""
    base = public_url.rstrip("/")
    items = [(r, f"{base}/api/v1/responses/{r['id']}") for r in data.get("responses", [])]
    return items + [(f, f"{base}/api/v1/feedback/{f['id']}") for f in data.get("feedback", [])]
