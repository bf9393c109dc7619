"""Checks and normalisation for customer and account fields. Pure: no database, no framework."""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from zoneinfo import available_timezones

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_LOCALE = re.compile(r"^([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{2,8})*)$")
# Attribute names are identifiers, so every stored attribute can be named in a segment filter (docs/segments.md).
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
MAX_ATTRIBUTES = 200
MAX_ATTRIBUTE_TEXT = 2000
MAX_LIST_ITEMS = 100


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def normalise_email(value: str) -> str:
    """Lower-cased, trimmed email; ValueError when it does not look like an address."""
    email = value.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise ValueError("not a valid email address")
    return email


def normalise_locale(value: str) -> str:
    """`en`, `en-GB`, `pt_br` -> `pt-BR`; ValueError for anything else."""
    match = _LOCALE.match(value.strip())
    if not match or len(value) > 16:
        raise ValueError("not a locale like 'en' or 'en-GB'")
    language, rest = match.group(1).lower(), match.group(2)
    parts = [p for p in re.split(r"[-_]", rest) if p]
    shaped = [p.upper() if len(p) == 2 and p.isalpha() else p for p in parts]
    return "-".join([language, *shaped])


def check_timezone(value: str) -> str:
    """An IANA zone name such as 'Europe/Paris'; ValueError otherwise."""
    zone = value.strip()
    if zone not in _zones():
        raise ValueError("not an IANA timezone such as 'Europe/Paris' or 'UTC'")
    return zone


def check_key(value: str) -> str:
    """A slug key: lower-case letters, digits, '-' and '_', at most 64 characters."""
    if not _KEY.match(value):
        raise ValueError(
            "use lower-case letters, digits, '-' and '_' (at most 64 characters, starting with a letter or digit)"
        )
    return value


def _scalar_problem(value: Any) -> str | None:
    if value is None or isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        return None if value == value and value not in (float("inf"), float("-inf")) else "is not a finite number"
    if isinstance(value, str):
        return None if len(value) <= MAX_ATTRIBUTE_TEXT else f"is longer than {MAX_ATTRIBUTE_TEXT} characters"
    return "must be text, a number, true/false, null or a list of those"


def attribute_problems(attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """(attribute name, reason) for every bad attribute: names are identifiers, values JSON scalars or lists of them."""
    problems: list[tuple[str, str]] = []
    if len(attributes) > MAX_ATTRIBUTES:
        return [("", f"at most {MAX_ATTRIBUTES} attributes")]
    for name, value in attributes.items():
        if not isinstance(name, str) or not ATTRIBUTE_NAME.match(name):
            problems.append((str(name), "names start with a letter or '_' and hold letters, digits and '_' (max 64)"))
            continue
        if isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS:
                problems.append((name, f"lists hold at most {MAX_LIST_ITEMS} values"))
            for item in value:
                reason = "lists hold text, numbers or true/false" if item is None else _scalar_problem(item)
                if reason:
                    problems.append((name, "lists hold text, numbers or true/false"))
                    break
            continue
        reason = _scalar_problem(value)
        if reason:
            problems.append((name, reason))
    return problems
