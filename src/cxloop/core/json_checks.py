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


def _path(start: tuple[str, ...], link: Any) -> str:
    """The dotted path of a node from its link (parent link, key), shortened after _SHOWN_PARTS parts."""
    keys: list[str] = []
    while link is not None:
        link, key = link
        keys.append(key)
    parts = [*start, *reversed(keys)]
    shown = ".".join(parts[:_SHOWN_PARTS])
    return (shown + (".…" if len(parts) > _SHOWN_PARTS else "")) or "body"


_CONTAINERS = frozenset({dict, list})


def _deeper_than_max(value: Any) -> bool:
    """Whether containers nest more than MAX_DEPTH levels: breadth first, one list comprehension per container."""
    level = [value]
    for _ in range(MAX_DEPTH):
        following: list[Any] = []
        for node in level:
            following += [c for c in (node.values() if type(node) is dict else node) if type(c) in _CONTAINERS]
        if not following:
            return False
        level = following
    return True


def problems(value: Any, *, field: str = "", raw: bytes | None = None) -> list[tuple[str, str]]:
    """(field path, message) for each part of `value` that breaks the depth or NUL rule: at most one depth problem
    (the first found), every NUL.

    `raw`: the JSON text `value` was decoded from, when there is one. A document whose text has no `\\u0000` escape
    holds no NUL (JSON cannot carry one raw), so only its depth is checked: not at all with at most MAX_DEPTH
    brackets, else level by level over the containers (about as long as orjson takes to parse the text; the full
    walk takes three times that). The full walk runs only to name what is wrong."""
    if not isinstance(value, dict | list | str):
        return []
    few_brackets = raw is not None and raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH
    if raw is not None and b"\\u0000" not in raw and (few_brackets or not _deeper_than_max(value)):
        return []
    found: list[tuple[str, str]] = []
    start = tuple(part for part in field.split(".") if part)
    # (node, link to its path: None or (parent link, key), depth); paths are built only for a problem
    stack: list[tuple[Any, Any, int]] = [(value, None, 0)]
    too_deep = False
    while stack:
        item, link, depth = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                found.append((_path(start, link), "contains a NUL character (\\u0000), which cannot be stored"))
            continue
        if depth >= MAX_DEPTH:
            if not too_deep:
                found.append((_path(start, link), f"is nested more than {MAX_DEPTH} levels deep"))
                too_deep = True
            continue
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(key, str) and NUL in key:
                found.append((_path(start, link), "has a key with a NUL character (\\u0000)"))
            if isinstance(child, dict | list | str):
                stack.append((child, (link, str(key)), depth + 1))
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


def check_document(value: Any, *, field: str = "", raw: bytes | None = None) -> Any:
    """`value` when it keeps the depth and NUL rules, else DocumentRefused (`raw`: as for `problems`)."""
    found = problems(value, field=field, raw=raw)
    if found:
        raise DocumentRefused(found)
    return value
