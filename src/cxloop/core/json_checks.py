"""Limits on what a client's JSON may hold, checked the same way everywhere (docs/security.md, issue 10):

- nesting at most MAX_DEPTH levels (deeper documents passed the parser but not orjson's writer: a 500);
- no NUL character (U+0000) in any string or key (PostgreSQL cannot store one in text or jsonb);
- a free object (response metadata, event properties, customer attributes, Segment traits) at most MAX_KEYS keys
  and MAX_FREE_BYTES bytes as JSON.

`problems` walks a decoded document without recursion, so a hostile one cannot exhaust the stack.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

MAX_DEPTH = 32
MAX_KEYS = 1_000
MAX_FREE_BYTES = 32_768
NUL = "\x00"
_SHOWN_PARTS = 6  # a path deeper than this is shortened in messages


def _path(parts: tuple[str, ...]) -> str:
    shown = ".".join(parts[:_SHOWN_PARTS])
    return shown + (".…" if len(parts) > _SHOWN_PARTS else "")


def problems(value: Any, *, field: str = "") -> list[tuple[str, str]]:
    """(field path, message) for each part of `value` that breaks the depth or NUL rule; at most one depth problem
    (the first), every NUL."""
    found: list[tuple[str, str]] = []
    start = tuple(part for part in field.split(".") if part)
    stack: list[tuple[Any, tuple[str, ...], int]] = [(value, start, 0)]
    too_deep = False
    while stack:
        item, parts, depth = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                found.append((_path(parts) or "body", "contains a NUL character (\\u0000), which cannot be stored"))
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_DEPTH:
            if not too_deep:
                found.append((_path(parts) or "body", f"is nested more than {MAX_DEPTH} levels deep"))
                too_deep = True
            continue
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(key, str) and NUL in key:
                found.append((_path(parts) or "body", "has a key with a NUL character (\\u0000)"))
            stack.append((child, (*parts, str(key)), depth + 1))
    return found


def _free_object(value: dict[str, Any]) -> dict[str, Any]:
    bad = problems(value)
    if bad:
        where, message = bad[0]
        raise PydanticCustomError("free_json", "{where} {message}", {"where": where, "message": message})
    keys, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys += len(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    if keys > MAX_KEYS:
        raise PydanticCustomError(
            "free_json", "has {keys} keys in all; at most {limit}", {"keys": keys, "limit": MAX_KEYS}
        )
    if len(orjson.dumps(value)) > MAX_FREE_BYTES:
        raise PydanticCustomError("free_json", "must be at most {limit} bytes of JSON", {"limit": MAX_FREE_BYTES})
    return value


# A JSON object a client may fill as it likes, within the limits above.
FreeObject = Annotated[dict[str, Any], AfterValidator(_free_object)]


class DocumentRefused(ValueError):
    """A decoded document breaks the rules above; `found` holds (field path, message) for each problem."""

    def __init__(self, found: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {message}" for where, message in found))
        self.found = found


def check_document(value: Any, *, field: str = "") -> Any:
    """`value` when it keeps the depth and NUL rules, else DocumentRefused."""
    found = problems(value, field=field)
    if found:
        raise DocumentRefused(found)
    return value
