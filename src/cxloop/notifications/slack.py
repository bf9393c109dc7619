"""A message body as a Slack incoming webhook takes it: Block Kit (https://api.slack.com/block-kit) with the score,
comment (personal data masked), customer and a link for each summarised response or feedback item; for an alert the
rule and its condition, the customer, account and ARR, and a link to the case (on an anomaly: its sentence and
figures); for a case event the case; for anomalies each sentence and its figures; the ids of others. Slack answers
200 `ok`, 400 `invalid_payload` (never worth retrying), 429 with Retry-After (honoured by the sender)."""

from __future__ import annotations

from typing import Any

from cxloop.notifications.bodies import linked_items, score_text
from cxloop.notifications.emails import customer_words, item_words
from cxloop.notifications.summaries import anomaly_alert_lines, anomaly_lines, shown_comment

MAX_ITEMS = 10  # Slack allows 50 blocks a message; a big batch says how many more there are
MAX_TEXT = 2900  # a section's text may hold 3,000 characters


def _escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(item: dict[str, Any], link: str) -> dict[str, Any]:
    comment = shown_comment(item) or ""
    customer = item.get("customer_external_id") or (f"#{item['customer_id']}" if item.get("customer_id") else "-")
    lines = [
        f"*{score_text(item)}* · customer {_escape(str(customer))} · <{link}|open>",
        f">{_escape(comment)}" if comment else "_no comment_",
    ]
    return {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:MAX_TEXT]}}


def blocks(body: dict[str, Any], *, public_url: str) -> dict[str, Any]:
    """The Slack payload of a message body (`{type, timestamp, data}`)."""
    kind, data = body["type"], body["data"]
    base = public_url.rstrip("/")
    sections: list[dict[str, Any]] = []
    items = linked_items(data, public_url=public_url)
    sections += [_section(item, link) for item, link in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        sections.append(_context(f"and {len(items) - MAX_ITEMS} more"))
    sections += [_alert(alert, base) for alert in data.get("alerts", [])[:MAX_ITEMS]]
    sections += [_case(case, base, data) for case in data.get("cases", [])[:MAX_ITEMS]]
    found = data.get("anomalies", [])
    sections += [_anomaly(anomaly) for anomaly in found[:MAX_ITEMS]]
    if len(found) > MAX_ITEMS:
        sections.append(_context(f"and {len(found) - MAX_ITEMS} more: <{base}/anomalies|all>"))
    if not data.get("cases"):
        for case_id in data.get("case_ids", [])[:MAX_ITEMS]:
            sections.append(_context(f"<{base}/cases/{case_id}|case {case_id}>"))
    if not sections:
        ids = ", ".join(f"{key}: {value}" for key, value in data.items())
        sections.append(_context(_escape(ids)[:MAX_TEXT]))
    header = {"type": "header", "text": {"type": "plain_text", "text": f"cxloop: {kind}"}}
    return {"text": f"cxloop: {kind}", "blocks": [header, *sections]}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _mrkdwn(lines: list[str]) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:MAX_TEXT]}}


def _quoted(item: dict[str, Any] | None) -> list[str]:
    """The item's score and origin, then its comment as a quote."""
    if not item:
        return ["_the response or feedback item is gone_"]
    score = item_words(item)[0]
    comment = shown_comment(item)
    return [_escape(score), f">{_escape(comment)}" if comment else "_no comment_"]


def _alert(alert: dict[str, Any], base: str) -> dict[str, Any]:
    rule = alert["rule"]
    head = f"*{_escape(rule['name'])}* · when `{_escape(rule['condition'])}`"
    anomaly = anomaly_alert_lines(alert)
    if anomaly is not None:
        return _mrkdwn([head, *map(_escape, anomaly), f"<{base}/anomalies|all anomalies>"])
    lines = [head, f"customer {_escape(customer_words(alert['customer']))}", *_quoted(alert["item"])]
    if alert.get("case_id"):
        lines.append(f"<{base}/cases/{alert['case_id']}|open case {alert['case_id']}>")
    return _mrkdwn(lines)


def _anomaly(anomaly: dict[str, Any]) -> dict[str, Any]:
    sentence, figures = anomaly_lines(anomaly)
    return _mrkdwn([f"*{_escape(sentence)}*", _escape(figures)])


def _case(case: dict[str, Any], base: str, data: dict[str, Any]) -> dict[str, Any]:
    owner = case["owner"]["name"] if case.get("owner") else "nobody"
    link = f"*<{base}/cases/{case['id']}|case {case['id']}>*"
    head = f"{link} {_escape(case['title'])} · {case['status']} · owner {_escape(owner)}"
    lines = [head]
    if "clock" in data:
        lines.append(f"SLA *{data['clock'].replace('_', ' ')}* due {data['due_at']}")
    return _mrkdwn([*lines, f"customer {_escape(customer_words(case['customer']))}", *_quoted(case["item"])])
