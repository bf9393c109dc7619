"""What an audit entry says changed: before/after of the changed fields, JSON-safe, bounded, never a secret."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic_core import to_jsonable_python

REDACTED = "[redacted]"
# Field names that hold credentials: their values never reach the log, at any depth. Not `key`: surveys, journeys and
# segments have keys that say which one changed; an API key's plain value is never handed to the log.
_SECRET_NAME = re.compile(r"digest|hash|password|secret|token|plain|authorization", re.IGNORECASE)
MAX_BYTES = 16_384  # a larger `changes` keeps only the names of the fields


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """`{field: [before, after]}` for each field whose value differs (a field on one side only counts)."""
    old, new = to_jsonable_python(before), to_jsonable_python(after)
    return {
        name: [old.get(name), new.get(name)]
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    }


def redact(value: Any) -> Any:
    """The value with every field named like a credential (`password`, `digest`, `token`, ...) replaced."""
    if isinstance(value, Mapping):
        return {k: REDACTED if _SECRET_NAME.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def clean(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """Redacted, JSON-safe and at most MAX_BYTES; past that only the field names are kept."""
    if not changes:
        return {}
    safe: dict[str, Any] = redact(to_jsonable_python(dict(changes)))
    if len(orjson.dumps(safe)) > MAX_BYTES:
        return {"truncated": True, "fields": sorted(safe)[:200]}
    return safe
