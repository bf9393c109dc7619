"""Segment-spec calls (Twilio Segment's track/identify/page/screen/group/alias messages) mapped onto cxloop's
customers, accounts and events. Pure: no database. The mapping is documented in docs/api-customers.md.

Not to be confused with cxloop's own segments (saved customer filters, `segment_language`).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from cxloop.core.clock import parse_instant, utcnow
from cxloop.core.errors import FieldError
from cxloop.customers import rules
from cxloop.customers.schemas import AccountUpsert, CustomerUpsert, EventCreate

SOURCE = "segment"
CALL_TYPES = ("track", "identify", "page", "screen", "group", "alias")
_NAME_TRAITS = {"firstName", "lastName", "first_name", "last_name"}
_COLUMN_TRAITS = {"email", "phone", "name", "createdAt", "created_at", "id", *_NAME_TRAITS}
_ACCOUNT_TRAITS = {"name", "plan", "id", "createdAt", "created_at"}
_EVENT_FIELDS = {
    "customer_external_id": "userId",
    "anonymous_id": "anonymousId",
    "name": "event",
    "properties": "properties",
    "occurred_at": "timestamp",
    "external_id": "messageId",
}
_CUSTOMER_FIELDS = {"email": "traits.email", "phone": "traits.phone", "name": "traits.name", "external_id": "userId"}
_ACCOUNT_FIELDS = {"name": "traits.name", "plan": "traits.plan", "external_id": "groupId"}


@dataclass
class MappedCalls:
    """What a list of Segment calls asks cxloop to store, in the order it must be stored."""

    accounts: list[AccountUpsert] = field(default_factory=list)
    customers: list[CustomerUpsert] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (anonymousId, userId) from identify
    events: list[EventCreate] = field(default_factory=list)
    ignored: int = 0
    errors: list[FieldError] = field(default_factory=list)


def map_calls(calls: list[Any], *, prefix: str) -> MappedCalls:
    """Map Segment calls; `prefix` names them in errors (`batch.3.traits.email`, or '' for a single call)."""
    mapped = MappedCalls()
    for index, call in enumerate(calls):
        where = f"{prefix}.{index}" if prefix else ""
        _map_call(call, where, mapped)
    return mapped


def _path(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _map_call(call: Any, where: str, mapped: MappedCalls) -> None:
    if not isinstance(call, dict):
        mapped.errors.append(FieldError(where or "body", "a Segment call is a JSON object"))
        return
    kind = call.get("type")
    if kind not in CALL_TYPES:
        mapped.errors.append(FieldError(_path(where, "type"), f"must be one of {', '.join(CALL_TYPES)}"))
        return
    user_id = _identifier(call.get("userId"))
    if kind == "alias":
        mapped.ignored += 1
    elif kind == "identify":
        if user_id is None:
            mapped.ignored += 1  # anonymous traits have no customer to land on
            return
        _identify(call, user_id, where, mapped)
    elif kind == "group":
        _group(call, user_id, where, mapped)
    else:
        _event(call, kind, user_id, where, mapped)


def _identifier(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        text = str(value).strip()
        return text or None
    return None


def _dict(call: dict[str, Any], key: str, where: str, mapped: MappedCalls) -> dict[str, Any]:
    value = call.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        mapped.errors.append(FieldError(_path(where, key), "must be a JSON object"))
        return {}
    return value


def _event(call: dict[str, Any], kind: str, user_id: str | None, where: str, mapped: MappedCalls) -> None:
    anonymous_id = _identifier(call.get("anonymousId"))
    if user_id is None and anonymous_id is None:
        mapped.errors.append(FieldError(_path(where, "userId"), f"a {kind} call needs userId or anonymousId"))
        return
    properties = _dict(call, "properties", where, mapped)
    if kind == "track":
        name = call.get("event")
        if not isinstance(name, str) or not name.strip():
            mapped.errors.append(FieldError(_path(where, "event"), "a track call needs the event name"))
            return
    else:
        name = f"{kind}_viewed"
        properties = {**properties, **({"name": call["name"]} if isinstance(call.get("name"), str) else {})}
    occurred_at = _timestamp(call, where, mapped)
    if occurred_at is None:
        return
    data = {
        "customer_external_id": user_id,
        "anonymous_id": anonymous_id,
        "name": name.strip(),
        "properties": properties,
        "occurred_at": occurred_at,
        "source": SOURCE,
        "external_id": _identifier(call.get("messageId")),
    }
    try:
        mapped.events.append(EventCreate.model_validate(data))
    except ValidationError as exc:
        mapped.errors.extend(_renamed(exc, where, _EVENT_FIELDS))


def _timestamp(call: dict[str, Any], where: str, mapped: MappedCalls) -> datetime | None:
    """`timestamp`, else `originalTimestamp`, else `receivedAt`, else now; a future instant (device clock) is now."""
    now = utcnow()
    for key in ("timestamp", "originalTimestamp", "receivedAt"):
        raw = call.get(key)
        if raw is None:
            continue
        try:
            instant = parse_instant(raw) if isinstance(raw, str) else None
        except ValueError:
            instant = None
        if instant is None:
            mapped.errors.append(FieldError(_path(where, key), "not an ISO-8601 timestamp"))
            return None
        return min(instant, now)
    return now


def _identify(call: dict[str, Any], user_id: str, where: str, mapped: MappedCalls) -> None:
    traits = _dict(call, "traits", where, mapped)
    context = _dict(call, "context", where, mapped)
    data: dict[str, Any] = {"external_id": user_id}
    for key in ("email", "phone"):
        if traits.get(key) is not None:
            data[key] = str(traits[key])
    name = traits.get("name")
    if name is None:
        first = traits.get("firstName", traits.get("first_name"))
        last = traits.get("lastName", traits.get("last_name"))
        name = " ".join(str(part) for part in (first, last) if part) or None
    if name is not None:
        data["name"] = str(name)[:300]
    created = traits.get("createdAt", traits.get("created_at"))
    if created is not None:
        signup = _date(created)
        if signup is None:
            key = "createdAt" if "createdAt" in traits else "created_at"
            mapped.errors.append(FieldError(_path(where, f"traits.{key}"), "not an ISO-8601 date or timestamp"))
            return
        data["signup_date"] = signup
    # Collected automatically by Segment's libraries: used when valid, never a reason to refuse the call.
    for key, check in (("locale", rules.normalise_locale), ("timezone", rules.check_timezone)):
        value = context.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                data[key] = check(value)
    attributes = flatten_traits({k: v for k, v in traits.items() if k not in _COLUMN_TRAITS})
    if attributes:
        data["attributes"] = attributes
    try:
        mapped.customers.append(CustomerUpsert.model_validate(data))
    except ValidationError as exc:
        mapped.errors.extend(_renamed(exc, where, _CUSTOMER_FIELDS))
        return
    anonymous_id = _identifier(call.get("anonymousId"))
    if anonymous_id is not None:
        mapped.links.append((anonymous_id, user_id))


def _group(call: dict[str, Any], user_id: str | None, where: str, mapped: MappedCalls) -> None:
    group_id = _identifier(call.get("groupId"))
    if group_id is None:
        mapped.errors.append(FieldError(_path(where, "groupId"), "a group call needs groupId"))
        return
    traits = _dict(call, "traits", where, mapped)
    data: dict[str, Any] = {"external_id": group_id}
    if traits.get("name") is not None:
        data["name"] = str(traits["name"])[:300]
    if traits.get("plan") is not None:
        data["plan"] = str(traits["plan"])[:100]
    attributes = flatten_traits({k: v for k, v in traits.items() if k not in _ACCOUNT_TRAITS})
    if attributes:
        data["attributes"] = attributes
    try:
        mapped.accounts.append(AccountUpsert.model_validate(data))
    except ValidationError as exc:
        mapped.errors.extend(_renamed(exc, where, _ACCOUNT_FIELDS))
        return
    if user_id is not None:
        mapped.customers.append(CustomerUpsert(external_id=user_id, account_external_id=group_id))


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else parse_instant(value).date()
    except ValueError:
        return None


def attribute_key(key: str) -> str:
    """A trait name as an attribute name: letters, digits and '_' (`Plan Type` -> `Plan_Type`)."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", key)
    if not cleaned or cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned[:64]


def flatten_traits(traits: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Traits as attributes: nested objects flattened with '_' (address.city -> address_city); values that are not
    text, numbers, true/false, null or lists of those are left out."""
    out: dict[str, Any] = {}
    for key, value in traits.items():
        name = attribute_key(f"{prefix}{key}")
        if isinstance(value, dict):
            if depth < 2:
                out.update(flatten_traits(value, prefix=f"{name}_", depth=depth + 1))
            continue
        if not rules.attribute_problems({name: value}):
            out[name] = value
    return dict(list(out.items())[: rules.MAX_ATTRIBUTES])


def _renamed(exc: ValidationError, where: str, names: dict[str, str]) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        name = ".".join([names.get(loc[0], loc[0]), *loc[1:]]) if loc else ""
        errors.append(FieldError((_path(where, name) if name else where) or "body", error["msg"]))
    return errors


def correct_clock_skew(calls: list[Any], *, sent_at: Any, received_at: datetime) -> list[Any]:
    """The calls with `timestamp` moved by the sender's clock error, as Segment's Tracking API does.

    A sender whose clock runs an hour late stamps both the event and the moment it sent the batch (`sentAt`) an
    hour late; the difference between our clock on receipt and `sentAt` is that error. So `timestamp` becomes
    `received_at - (sentAt - originalTimestamp)` (`originalTimestamp`, else `timestamp`, else `sentAt`: an event
    with no time at all happened when it was sent). A call's own `sentAt` wins over the batch's. Calls without any
    `sentAt`, and times that do not parse (reported as bad fields later), are left as they are.
    """
    corrected: list[Any] = []
    for call in calls:
        if not isinstance(call, dict):
            corrected.append(call)
            continue
        sent = _instant(call.get("sentAt", sent_at))
        happened = _instant(call.get("originalTimestamp") or call.get("timestamp") or call.get("sentAt", sent_at))
        if sent is not None and happened is not None:
            call = {**call, "timestamp": (received_at - (sent - happened)).isoformat()}
        corrected.append(call)
    return corrected


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_instant(value)
    except ValueError:
        return None
