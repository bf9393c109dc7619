"""Reading loosely typed webhook JSON field by field, collecting every problem with its dotted path.

Helpdesks are lax about types: Zendesk placeholders render ids and numbers as text and unknown values as "",
Intercom sends Unix seconds. Readers accept those forms, treat "" as absent, and name what they cannot read.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from cxloop.channels.helpdesk.errors import MalformedWebhook
from cxloop.core.clock import parse_instant
from cxloop.core.errors import FieldError

MAX_TEXT = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def normalised_email(value: str) -> str:
    """Trimmed and lower-cased; ValueError when it does not look like an address."""
    email = value.strip().lower()
    if len(email) > 320 or not EMAIL.match(email):
        raise ValueError("is not a valid email address")
    return email


class PayloadReader:
    """Collects the problems found while reading one payload; `finish()` raises them all at once (400)."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def problem(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def finish(self, what: str) -> None:
        if self.errors:
            raise MalformedWebhook(
                f"the {what} webhook is missing or has invalid fields; nothing was stored", errors=self.errors
            )

    def section(self, parent: Any, key: str, path: str, *, required: bool = True) -> dict[str, Any] | None:
        """A nested JSON object."""
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.problem(path, "is required")
            return None
        if not isinstance(value, dict):
            self.problem(path, "must be a JSON object")
            return None
        return value

    def text(self, parent: Any, key: str, path: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
        """Text (numbers are taken as their text, e.g. ids); blank counts as absent."""
        value = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(value, bool) or (value is not None and not isinstance(value, str | int)):
            self.problem(path, "must be text")
            return None
        text = "" if value is None else str(value).strip()
        if not text:
            if required:
                self.problem(path, "is required")
            return None
        if len(text) > limit:
            self.problem(path, f"must be at most {limit} characters")
            return None
        if "\x00" in text:
            self.problem(path, "must not contain NUL characters")
            return None
        return text

    def email(self, parent: Any, key: str, path: str) -> str | None:
        """An email address, lower-cased; blank counts as absent."""
        text = self.text(parent, key, path, limit=320)
        if text is None:
            return None
        try:
            return normalised_email(text)
        except ValueError as exc:
            self.problem(path, str(exc))
            return None

    def number(self, parent: Any, key: str, path: str) -> float | None:
        """A finite, non-negative number (or its text); blank counts as absent."""
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None or value == "":
            return None
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            self.problem(path, "must be a number of at least 0")
            return None
        return number

    def count(self, parent: Any, key: str, path: str) -> int | None:
        """A whole number of at least 0 (or its text)."""
        number = self.number(parent, key, path)
        if number is None:
            return None
        if number != int(number):
            self.problem(path, "must be a whole number")
            return None
        return int(number)

    def instant(self, parent: Any, key: str, path: str, *, required: bool = False) -> datetime | None:
        """An ISO-8601 timestamp or Unix seconds; naive means UTC."""
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None or value == "":
            if required:
                self.problem(path, "is required")
            return None
        try:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return datetime.fromtimestamp(value, UTC)
            if isinstance(value, str):
                return datetime.fromtimestamp(int(value), UTC) if value.isdigit() else parse_instant(value)
        except (ValueError, OverflowError, OSError):
            pass
        self.problem(path, "must be an ISO-8601 timestamp or Unix seconds")
        return None


def minutes(seconds: float | None) -> float | None:
    """Seconds as minutes, rounded to 0.1."""
    return None if seconds is None else round(seconds / 60, 1)
