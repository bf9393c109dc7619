"""Follow-up wording: the placeholders a template may use, which translation a customer gets, and rendering.

Placeholders are `{name}` from PLACEHOLDERS only (no format-string attribute access); a template naming another one
is refused when it is saved, so a message never goes out with a `{typo}` in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDERS: dict[str, str] = {
    "first_name": "the customer's first name (the first word of their name; empty when unknown)",
    "name": "the customer's full name (empty when unknown)",
    "organisation": "the organisation's name (branding)",
    "case_reference": "the case's reference, e.g. #42",
    "agent_name": "who sends it (the agent's name)",
    "improvement": "the improvement's title (announcements only)",
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """The `{names}` in `text` that are not placeholders."""
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def render(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known placeholder replaced (an unknown one is left as it is)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass(frozen=True)
class Chosen:
    locale: str | None  # the translation's locale; None: the default wording
    subject: str | None
    body: str


def pick_wording(subject: str | None, body: str, translations: Mapping[str, Any], locale: str | None) -> Chosen:
    """The customer's locale's translation (`de-AT` falls back to `de`), else the default wording."""
    if locale:
        wanted = locale.lower()
        for candidate in (wanted, wanted.split("-")[0]):
            found = translations.get(candidate)
            if isinstance(found, Mapping) and found.get("body"):
                return Chosen(candidate, found.get("subject") or subject, str(found["body"]))
    return Chosen(None, subject, body)


def first_name(name: str | None) -> str:
    return (name or "").strip().split(" ")[0] if name and name.strip() else ""
