"""Replace a person's identifiers inside free text (and JSON documents) of a domain's own table: erasure's last step.

The owning domain names its table and its free-text columns; rows are found in SQL (a case-insensitive LIKE over the
column, JSON cast to text) and rewritten in Python, a few hundred at a time, so memory stays bounded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, Table, bindparam, cast, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

MARKER = "[erased]"
MIN_NEEDLE = 3  # shorter identifiers would match inside unrelated words
_BATCH = 500


def usable_needles(values: Sequence[str | None]) -> list[str]:
    """The identifiers worth searching for: non-empty, at least MIN_NEEDLE characters, longest first."""
    found = {value.strip() for value in values if value and len(value.strip()) >= MIN_NEEDLE}
    return sorted(found, key=lambda v: (-len(v), v))


def _pattern(needles: Sequence[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)


def _replace(value: Any, pattern: re.Pattern[str], marker: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(marker, value)
    if isinstance(value, list):
        return [_replace(v, pattern, marker) for v in value]
    if isinstance(value, dict):
        return {pattern.sub(marker, k): _replace(v, pattern, marker) for k, v in value.items()}
    return value


def _escaped(needle: str) -> str:
    return needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def scrub_columns(
    session: Session, table: Table, columns: Sequence[str], *, needles: Sequence[str], marker: str = MARKER
) -> int:
    """Replace every case-insensitive occurrence of `needles` in `columns` of `table` with `marker`; rows changed."""
    needles = usable_needles(needles)
    if not needles or not columns:
        return 0
    (key,) = table.primary_key.columns  # scrubbed tables have a one-column key
    texts = {
        name: cast(table.c[name], String) if isinstance(table.c[name].type, JSON) else table.c[name] for name in columns
    }
    # JSON text escapes non-ASCII and quotes: also look for the JSON-encoded form of each needle.
    forms = sorted({form for needle in needles for form in (needle, json.dumps(needle)[1:-1])})
    matches = [
        func.lower(expression).like(f"%{_escaped(form)}%", escape="\\")
        for expression in texts.values()
        for form in forms
    ]
    pattern = _pattern(needles)
    changed = 0
    last: Any = None
    while True:
        query = select(key, *(table.c[name] for name in columns)).where(or_(*matches)).order_by(key).limit(_BATCH)
        if last is not None:
            query = query.where(key > last)
        rows = session.execute(query).all()
        if not rows:
            return changed
        updates = []
        for row in rows:
            values = {name: _replace(row[i + 1], pattern, marker) for i, name in enumerate(columns)}
            if any(values[name] != row[i + 1] for i, name in enumerate(columns)):
                updates.append({"_key": row[0], **{f"v_{name}": value for name, value in values.items()}})
        if updates:
            statement = (
                update(table)
                .where(key == bindparam("_key"))
                .values({table.c[name]: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns})
            )
            session.execute(statement, updates)
            changed += len(updates)
        last = rows[-1][0]
