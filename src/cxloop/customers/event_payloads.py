"""The shapes POST /events accepts, told apart and validated: one event, `{"items": [...]}`, one Segment-spec call,
or Segment's `{"batch": [...]}` envelope. Pure: no database."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from cxloop.core.errors import FieldError, InvalidInput
from cxloop.customers.schemas import MAX_BATCH, EventCreate
from cxloop.customers.segment_spec import MappedCalls, map_calls

_EVENTS = TypeAdapter(list[EventCreate])


def parse_payload(payload: Any) -> MappedCalls:
    """What the body asks to store; InvalidInput naming every bad field (`items.3.name`, `batch.2.traits.email`)."""
    if not isinstance(payload, dict):
        raise InvalidInput(
            "send a JSON object", errors=[FieldError("body", "send one event, {items: [...]} or Segment calls")]
        )
    if "batch" in payload:
        calls = _list(payload, "batch")
        mapped = map_calls(calls, prefix="batch")
    elif "type" in payload:
        mapped = map_calls([payload], prefix="")
    else:
        items = _list(payload, "items") if "items" in payload else [payload]
        prefix = "items" if "items" in payload else ""
        mapped = MappedCalls()
        try:
            mapped.events = _EVENTS.validate_python(items)
        except ValidationError as exc:
            for error in exc.errors():
                loc = [str(part) for part in error["loc"]]
                path = ".".join([prefix, *loc] if prefix else loc[1:]) or "body"
                mapped.errors.append(FieldError(path, error["msg"]))
    if mapped.errors:
        raise InvalidInput("some events are not valid; nothing was saved", errors=mapped.errors)
    return mapped


def _list(payload: dict[str, Any], key: str) -> list[Any]:
    value = payload[key]
    if not isinstance(value, list) or not value:
        raise InvalidInput(f"'{key}' must be a list", errors=[FieldError(key, "must be a non-empty list")])
    if len(value) > MAX_BATCH:
        raise InvalidInput("too many items", errors=[FieldError(key, f"send at most {MAX_BATCH} at a time")])
    return value
