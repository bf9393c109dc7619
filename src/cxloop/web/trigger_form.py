"""The builder's trigger-rule forms as flat text fields and back: the rule's fields, its event-property conditions
(rows `cond0-property`, `cond0-op`, `cond0-value`, ...) and its ordered fallback channels (`fallback0`,
`fallback1`), the JSON body of POST or PATCH /api/v1/trigger-rules they stand for, and each refused field of that
body named by its form field.

An edit form's field that is not posted is not sent (PATCH leaves it as it is); one posted empty is sent empty, so
the schema or the triggers domain refuses it by name (an empty name, event or anchor), or it clears what may be
cleared (the segment, the repeat, the delay).

A condition row whose property and value are both empty is left out, so a row is removed by clearing it; rows are
renumbered from 0 so that the n-th condition of the body is the form's row n. A value is read as JSON when it is
JSON (`30`, `true`, `"30"`, `["a", "b"]`), else as text; for `in` and `not in`, comma-separated items."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cxloop.triggers.enums import ConditionOp
from cxloop.triggers.schemas import TriggerRuleRead, TriggerRuleUpdate
from cxloop.web import survey_form

MAX_CONDITIONS = 20  # as the API's Condition list allows
MAX_FALLBACKS = 2
# The schema's bound on delay_seconds, said in the form's minutes (and days).
_DELAY_LIMIT = next(
    bound.le for bound in TriggerRuleUpdate.model_fields["delay_seconds"].metadata if hasattr(bound, "le")
)
BLANK_ROWS = 2  # empty condition rows drawn after the filled ones, to add conditions
RULE_FIELDS = ("kind", "key", "name", "channel", "event_name", "delay_minutes", "anchor", "offset_days", "repeat_days")
RULE_FIELDS_OPTIONAL = ("segment_id", "enabled")
CONDITION_PARTS = ("property", "op", "value")
OPS = tuple(op.value for op in ConditionOp)
_LISTS = (ConditionOp.is_in.value, ConditionOp.not_in.value)
# Body fields the form names otherwise; other body fields than the form's are refused above the form.
_FORM_FIELD = {"delay_seconds": "delay_minutes", "conditions": "conditions"}
_BODY_FIELD = {"delay_minutes": "delay_seconds"}


def _number(value: str) -> int | str | None:
    value = value.strip()
    if not value:
        return None
    return int(value) if value.lstrip("-").isdigit() and len(value) < 10 else value


def _delay(text: str) -> int | str | None:
    """The delay field's minutes (whole or decimal: 1.5) as the API's seconds; empty as None; text that is no number
    as it is, for the schema to refuse."""
    text = text.strip()
    if not text:
        return None
    try:
        minutes = float(text) if len(text) < 12 else None
    except ValueError:
        return text
    return round(minutes * 60) if minutes is not None and math.isfinite(minutes) else text


def _shown_delay(seconds: int) -> str:
    """Seconds as the delay field's minutes, exactly enough to post back the same seconds (90 -> "1.5")."""
    return f"{seconds / 60:.4f}".rstrip("0").rstrip(".")


def _scalar(text: str) -> Any:
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def _value(op: str, text: str) -> Any:
    if op == ConditionOp.exists.value and not text.strip():
        return True
    if op not in _LISTS:
        return _scalar(text)
    found = _scalar(text)
    return found if isinstance(found, list) else [_scalar(item) for item in text.split(",") if item.strip()]


def _shown(value: Any) -> str:
    if isinstance(value, list):
        items = [_shown(item) for item in value]
        return json.dumps(value) if any("," in item for item in items) else ", ".join(items)
    if isinstance(value, str) and _scalar(value) == value:
        return value
    return json.dumps(value)


def compact(fields: Mapping[str, str]) -> dict[str, str]:
    """The posted rule form (truncated fields, only the form's names), cleared condition rows and empty fallbacks
    left out and the rest renumbered from 0."""
    form = {name: fields[name][:300] for name in (*RULE_FIELDS, *RULE_FIELDS_OPTIONAL) if name in fields}
    rows = [{part: fields.get(f"cond{i}-{part}", "")[:1000] for part in CONDITION_PARTS} for i in range(MAX_CONDITIONS)]
    kept = [row for row in rows if row["property"].strip() or row["value"].strip()]
    for i, row in enumerate(kept):
        form |= {f"cond{i}-{part}": text for part, text in row.items()}
    channels = [fields.get(f"fallback{i}", "").strip()[:40] for i in range(MAX_FALLBACKS)]
    form |= {f"fallback{i}": channel for i, channel in enumerate(c for c in channels if c)}
    return form


def condition_rows(form: Mapping[str, str]) -> int:
    """How many condition rows to draw for `form` (compacted): its conditions and blank rows to add more."""
    filled = sum(1 for name in form if name.startswith("cond") and name.endswith("-property"))
    return min(filled + BLANK_ROWS, MAX_CONDITIONS)


def conditions(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The conditions of the (compacted) form as the API's `conditions` (unchecked)."""
    found = []
    for i in range(MAX_CONDITIONS):
        if f"cond{i}-property" in form:
            op = form.get(f"cond{i}-op", "")
            value = _value(op, form.get(f"cond{i}-value", ""))
            found.append({"property": form[f"cond{i}-property"].strip(), "op": op, "value": value})
    return found


def fallbacks(form: Mapping[str, str]) -> list[str]:
    """The fallback channels of the (compacted) form, in the order they are tried."""
    return [form[f"fallback{i}"] for i in range(MAX_FALLBACKS) if form.get(f"fallback{i}")]


def create_body(survey_id: int, form: Mapping[str, str]) -> dict[str, Any]:
    """The JSON body of POST /api/v1/trigger-rules the new-rule form stands for (unchecked)."""
    body: dict[str, Any] = {
        "key": form.get("key", "").strip(),
        "name": form.get("name", "").strip(),
        "kind": form.get("kind", ""),
        "survey_id": survey_id,
        "channel": form.get("channel", ""),
        "fallbacks": fallbacks(form) or None,
        "delay_seconds": _delay(form.get("delay_minutes", "")),
        "segment_id": _number(form.get("segment_id", "")),
    }
    body["conditions"] = conditions(form) or None  # a time rule with conditions is refused by the domain
    if body["kind"] == "event":
        body["event_name"] = form.get("event_name", "").strip() or None
    else:
        body["anchor"] = form.get("anchor", "").strip() or None
        body["offset_days"] = _number(form.get("offset_days", ""))
        body["repeat_days"] = _number(form.get("repeat_days", ""))
    return {name: value for name, value in body.items() if value is not None}


def _posted_number(text: str) -> int | str:
    """A number field that must not be emptied: its text is sent when it is not a number, for the schema to refuse."""
    number = _number(text)
    return text if number is None else number


def update_body(form: Mapping[str, str], *, event_rule: bool) -> dict[str, Any]:
    """The JSON body of PATCH /api/v1/trigger-rules/{id} the rule's edit form stands for: the posted fields of the
    rule's kind, its fallbacks, and an event rule's conditions (empty lists clear them)."""
    fields: dict[str, Callable[[str], Any]] = {
        "name": lambda text: text.strip(),
        "channel": str,
        "enabled": str,  # "true" or "false", read by the schema
        "segment_id": _number,  # empty: everyone
    }
    if event_rule:
        fields["event_name"] = lambda text: text.strip()
        fields["delay_minutes"] = lambda text: _delay(text) or 0  # empty: at once
    else:
        fields["anchor"] = lambda text: text.strip()
        fields["offset_days"] = _posted_number
        fields["repeat_days"] = _number  # empty: once
    body: dict[str, Any] = {
        _BODY_FIELD.get(name, name): read(form[name]) for name, read in fields.items() if name in form
    }
    body["fallbacks"] = fallbacks(form)
    if event_rule:
        body["conditions"] = conditions(form)
    return body


def from_rule(rule: TriggerRuleRead) -> dict[str, str]:
    """The edit form of a stored rule."""
    form = {f"fallback{i}": channel for i, channel in enumerate(rule.fallbacks)}
    form |= {"name": rule.name, "channel": rule.channel, "enabled": "true" if rule.enabled else "false"}
    form |= {"segment_id": "" if rule.segment_id is None else str(rule.segment_id)}
    if rule.kind == "event":
        form |= {"event_name": rule.event_name or "", "delay_minutes": _shown_delay(rule.delay_seconds)}
    else:
        form |= {"anchor": rule.anchor or "", "offset_days": str(rule.offset_days)}
        form |= {"repeat_days": "" if rule.repeat_days is None else str(rule.repeat_days)}
    for i, condition in enumerate(rule.conditions):
        form |= {
            f"cond{i}-property": str(condition["property"]),
            f"cond{i}-op": str(condition["op"]),
            f"cond{i}-value": _shown(condition.get("value")),
        }
    return form


def field_of(location: Sequence[str | int]) -> str:
    """The form field of a refused body field: ("conditions", 2, "op") -> "cond2-op", a condition's value that does
    not fit its operator ("conditions", 2) -> "cond2-value", ("fallbacks", 1) -> "fallback1"."""
    name = str(location[0]) if location else "form"
    if name == "conditions" and len(location) > 1:
        part = str(location[2]) if len(location) > 2 and location[2] in ("property", "op") else "value"
        return f"cond{location[1]}-{part}"
    if name == "fallbacks":
        return f"fallback{location[1]}" if len(location) > 1 else "fallback0"
    if name in _FORM_FIELD:
        return _FORM_FIELD[name]
    return name if name in (*RULE_FIELDS, *RULE_FIELDS_OPTIONAL) else "form"


def plain_words(kind: str, message: str, name: str) -> str:
    """A schema's refusal of a rule field in the form's words (the delay in minutes, as the form asks it)."""
    if name == "delay_minutes" and kind in ("greater_than_equal", "less_than_equal"):
        return f"must be from 0 to {_DELAY_LIMIT // 60} minutes ({_DELAY_LIMIT // 86400} days)"
    return survey_form.plain_words(kind, message, name)


def dotted_field(name: str) -> str:
    """The form field of a domain error's dotted field name ("fallbacks.0")."""
    return field_of([int(part) if part.isdigit() else part for part in name.split(".")])
