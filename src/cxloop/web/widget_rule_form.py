"""A widget site's prompt rules as the flat text fields of one form and back (web/settings_widget_rules.py posts
it, the channels tab draws it): rows `rule0-survey`, `rule0-url_match`, `rule0-event`, `rule0-seconds_on_page`,
`rule0-sampling_percent`, ... A row whose survey, pages and event are all empty is left out, so a rule is removed
by clearing it; rows are renumbered from 0 so that the n-th rule of the API's body is the form's row n."""

from __future__ import annotations

from collections.abc import Mapping

from cxloop.channels.widget.schemas import PromptRuleRead

MAX_RULES = 50  # as the API's SiteUpdate.rules allows
BLANK_ROWS = 2  # empty rows drawn after the filled ones, to add rules
PARTS = ("survey", "url_match", "event", "seconds_on_page", "sampling_percent")
_LONGEST = {"survey": 64, "url_match": 500, "event": 200, "seconds_on_page": 10, "sampling_percent": 10}


def rule_rows(rules: list[PromptRuleRead]) -> dict[str, str]:
    """A site's stored rules as the form's rows."""
    rows: dict[str, str] = {}
    for i, rule in enumerate(rules):
        rows |= {
            f"rule{i}-survey": rule.survey,
            f"rule{i}-url_match": rule.url_match or "",
            f"rule{i}-event": rule.event or "",
            f"rule{i}-seconds_on_page": str(rule.seconds_on_page),
            f"rule{i}-sampling_percent": f"{rule.sampling_rate * 100:g}",
        }
    return rows


def filled(rows: Mapping[str, str]) -> int:
    """How many rules the (compacted) rows hold."""
    return sum(1 for name in rows if name.endswith("-survey"))


def row_count(rows: Mapping[str, str]) -> int:
    """How many rows to draw: the filled ones and blank rows to add more."""
    return min(filled(rows) + BLANK_ROWS, MAX_RULES)


def compact(fields: Mapping[str, str]) -> dict[str, str]:
    """The posted rows (truncated, only the form's names), cleared rows left out and the rest renumbered from 0."""
    rows = [{part: fields.get(f"rule{i}-{part}", "")[: _LONGEST[part]] for part in PARTS} for i in range(MAX_RULES)]
    kept = [row for row in rows if any(row[part].strip() for part in ("survey", "url_match", "event"))]
    return {f"rule{i}-{part}": text for i, row in enumerate(kept) for part, text in row.items()}
