"""A message body as an email to a person on the team: a subject naming the event and a plain-text summary (score,
comment, customer, link for each response or feedback item; the ids of other events). The worker hands it to the
installation's SMTP server (cxloop.worker wires the transport: notifications may not import the channels)."""

from __future__ import annotations

from typing import Any

from cxloop.notifications.bodies import linked_items, score_text

MAX_ITEMS = 20


def subject(body: dict[str, Any]) -> str:
    return f"cxloop: {body['type']}"


def text(body: dict[str, Any], *, public_url: str) -> str:
    """The plain-text body of the email."""
    base, data = public_url.rstrip("/"), body["data"]
    lines = [f"{body['type']} at {body['timestamp']}", ""]
    items = linked_items(data, public_url=public_url)
    for item, link in items[:MAX_ITEMS]:
        customer = item.get("customer_external_id") or item.get("customer_id") or "-"
        lines += [f"{score_text(item)} - customer {customer} - {link}"]
        comment = item.get("comment") or item.get("text")
        lines += [f'  "{comment}"' if comment else "  (no comment)", ""]
    if len(items) > MAX_ITEMS:
        lines.append(f"and {len(items) - MAX_ITEMS} more")
    for case_id in data.get("case_ids", []):
        lines.append(f"case {case_id}: {base}/cases/{case_id}")
    if not items and "case_ids" not in data:
        lines += [f"{key}: {value}" for key, value in data.items()]
    return "\n".join(lines).rstrip() + "\n"
