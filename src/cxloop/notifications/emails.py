"""A message body as an email to a person on the team, comments with personal data masked (summaries.shown_comment).
Each kind of body has its letter: an alert names the rule and its condition, the score, comment, customer, account
and ARR, and links the case (on an anomaly: its sentence and figures); a case event the case; an SLA
warning or breach the clock, how late, owner and customer (the escalation email, escalation.py); an anomaly its
sentence and figures; the weekly digest
its own (digest_letter.py); anything else a plain summary of its items or ids. The worker hands the letter to the
installation's SMTP server (cxloop.worker wires the transport: notifications may not import the channels)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cxloop.notifications import digest_letter
from cxloop.notifications.bodies import linked_items, score_text
from cxloop.notifications.summaries import anomaly_alert_lines, anomaly_lines, shown_comment

MAX_ITEMS = 20


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    html: str | None = None


def letter(body: dict[str, Any], *, public_url: str) -> Letter:
    """The email of a message body."""
    kind, data = body["type"], body["data"]
    base = public_url.rstrip("/")
    if kind == digest_letter.DIGEST_TYPE:
        return Letter(*digest_letter.render(data, public_url=base))
    for key, write in _LETTERS.items():
        if data.get(key):
            return write(body, base)
    return Letter(subject(body), text(body, public_url=public_url))


def subject(body: dict[str, Any]) -> str:
    return f"cxloop: {body['type']}"


def text(body: dict[str, Any], *, public_url: str) -> str:
    """The plain-text body of an email about responses, feedback or ids."""
    base, data = public_url.rstrip("/"), body["data"]
    lines = [f"{body['type']} at {body['timestamp']}", ""]
    items = linked_items(data, public_url=public_url)
    for item, link in items[:MAX_ITEMS]:
        customer = item.get("customer_external_id") or item.get("customer_id") or "-"
        lines += [f"{score_text(item)} - customer {customer} - {link}"]
        comment = shown_comment(item)
        lines += [f'  "{comment}"' if comment else "  (no comment)", ""]
    if len(items) > MAX_ITEMS:
        lines.append(f"and {len(items) - MAX_ITEMS} more")
    for case_id in data.get("case_ids", []):
        lines.append(f"case {case_id}: {base}/cases/{case_id}")
    if not items and "case_ids" not in data:
        lines += [f"{key}: {value}" for key, value in data.items()]
    return "\n".join(lines).rstrip() + "\n"


def customer_words(customer: dict[str, Any] | None) -> str:
    """'Jane Roe (c-42) · Acme (plan pro, ARR 120,000)'; '-' without a customer."""
    if not customer:
        return "-"
    who = f"{customer['name']} ({customer['external_id']})" if customer.get("name") else customer["external_id"]
    account = customer.get("account")
    if not account:
        return who
    facts = [f"plan {account['plan']}"] if account.get("plan") else []
    if account.get("arr") is not None:
        facts.append(f"ARR {account['arr']:,.0f}")
    return f"{who} · {account['name']}" + (f" ({', '.join(facts)})" if facts else "")


def item_words(item: dict[str, Any] | None) -> list[str]:
    """The score and where it came from, then the comment quoted."""
    if not item:
        return ["(the response or feedback item is gone)"]
    where = [f"survey {item['survey']}"] if item.get("survey") else []
    where += [f"touchpoint {item['touchpoint']}"] if item.get("touchpoint") else []
    where.append(f"via {item['channel']}")
    comment = shown_comment(item)
    return [f"{score_text(item)} · {', '.join(where)}", f'"{comment}"' if comment else "(no comment)"]


def _alert_letter(body: dict[str, Any], base: str) -> Letter:
    alerts = body["data"]["alerts"]
    first = alerts[0]
    lines: list[str] = []
    for alert in alerts[:MAX_ITEMS]:
        rule = alert["rule"]
        lines.append(f"Rule: {rule['name']} (when {rule['condition']})")
        anomaly = anomaly_alert_lines(alert)
        if anomaly is not None:
            lines += [*anomaly, f"All anomalies: {base}/anomalies"]
        else:
            lines += [f"Customer: {customer_words(alert['customer'])}", *item_words(alert["item"])]
        if alert.get("case_id"):
            lines.append(f"Case: {base}/cases/{alert['case_id']}")
        lines.append("")
    if len(alerts) > MAX_ITEMS:
        lines.append(f"and {len(alerts) - MAX_ITEMS} more alerts")
    more = f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
    return Letter(f"cxloop alert: {first['rule']['name']}{more}", "\n".join(lines).rstrip() + "\n")


def case_lines(case: dict[str, Any], base: str, *, owner_then: dict[str, Any] | None = None) -> list[str]:
    owner = case["owner"]["name"] if case.get("owner") else "nobody"
    if owner_then is not None and owner_then != case.get("owner"):
        owner = f"{owner_then['name']} (now {owner})"
    team = case["team"]["name"] if case.get("team") else "no team"
    return [
        f"Case {case['id']}: {case['title']} ({case['status']}, {case['priority']})",
        f"Team: {team} · owner: {owner}",
        f"Customer: {customer_words(case['customer'])}",
        *item_words(case["item"]),
        f"Open it: {base}/cases/{case['id']}",
    ]


def _late(data: dict[str, Any], timestamp: str) -> str:
    due = datetime.fromisoformat(data["due_at"])
    at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    minutes = round(abs((at - due).total_seconds()) / 60)
    span = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    return f"{span} late" if at >= due else f"due in {span}"


def _when(iso: str) -> str:
    """'2026-12-07 10:00 UTC' from an ISO instant."""
    return f"{datetime.fromisoformat(iso.replace('Z', '+00:00')).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _sla_letter(body: dict[str, Any], base: str) -> Letter:
    data = body["data"]
    case = data["cases"][0]
    clock = data["clock"].replace("_", " ")
    breached = body["type"].endswith("breached")
    what = "breached" if breached else "is about to breach"
    lines = [
        f"The {clock} SLA of case {case['id']} {what}: due {_when(data['due_at'])}, {_late(data, body['timestamp'])}.",
        "",
        *case_lines(case, base, owner_then=data.get("owner")),
    ]
    subject_ = (
        f"SLA {'breached' if breached else 'warning'}: {clock} of case {case['id']} ({_late(data, body['timestamp'])})"
    )
    return Letter(subject_, "\n".join(lines) + "\n")


def _case_letter(body: dict[str, Any], base: str) -> Letter:
    cases = body["data"]["cases"]
    lines: list[str] = []
    for case in cases[:MAX_ITEMS]:
        lines += [*case_lines(case, base), ""]
    what = body["type"].removeprefix("case.")
    return Letter(f"cxloop: case {cases[0]['id']} {what}: {cases[0]['title']}", "\n".join(lines).rstrip() + "\n")


def _anomaly_letter(body: dict[str, Any], base: str) -> Letter:
    found = body["data"]["anomalies"]
    lines: list[str] = []
    for anomaly in found[:MAX_ITEMS]:
        lines += [*anomaly_lines(anomaly), ""]
    if len(found) > MAX_ITEMS:
        lines.append(f"and {len(found) - MAX_ITEMS} more anomalies")
    lines.append(f"All anomalies: {base}/anomalies")
    more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
    first = found[0]
    subject_ = f"cxloop anomaly: {first['metric']} {first['direction']} in {first['scope']}{more}"
    return Letter(subject_, "\n".join(lines) + "\n")


def _case_or_sla(body: dict[str, Any], base: str) -> Letter:
    return (_sla_letter if "clock" in body["data"] else _case_letter)(body, base)


_LETTERS: dict[str, Callable[[dict[str, Any], str], Letter]] = {
    "alerts": _alert_letter,
    "cases": _case_or_sla,
    "anomalies": _anomaly_letter,
}
