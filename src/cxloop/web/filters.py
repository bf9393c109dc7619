"""The filter bar of the analytical pages, kept in the URL query string so a view is a link.

view = parse_filters(request.query_params, today=date(2026, 12, 6))   # BadFilter names the field and why
view.start, view.end              # the local days of the range (end inclusive)
view.previous                     # the period of the same length just before, for period-over-period change
view.link(channel="email")        # the query string of the same view with one filter changed
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from cxloop.collection.enums import Channel

# Presets of the date range: days back from today (inclusive), or "custom" with start and end.
PRESETS: dict[str, tuple[str, int]] = {
    "7d": ("last 7 days", 7),
    "30d": ("last 30 days", 30),
    "90d": ("last 90 days", 90),
    "quarter": ("last quarter (91 days)", 91),
    "year": ("last 12 months", 365),
}
DEFAULT_PRESET = "90d"
CUSTOM = "custom"
DIMENSIONS = ("segment", "stage", "touchpoint", "channel", "survey")
LONGEST_RANGE = timedelta(days=3 * 366)
_MAX_KEY = 120


class BadFilter(ValueError):
    """A filter value that cannot be used: `field` and the reason in plain words."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class View:
    """A date range and the dimension filters (keys) of one page view."""

    preset: str
    start: date
    end: date
    dims: dict[str, str] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> tuple[date, date]:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return end - timedelta(days=self.days - 1), end

    @property
    def range_label(self) -> str:
        if self.preset in PRESETS:
            return PRESETS[self.preset][0]
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def params(self, **changes: str | None) -> dict[str, str]:
        values: dict[str, str] = {"range": self.preset}
        if self.preset == CUSTOM:
            values |= {"start": self.start.isoformat(), "end": self.end.isoformat()}
        values |= self.dims
        for key, value in changes.items():
            if value:
                values[key] = value
            else:
                values.pop(key, None)
        return values

    def link(self, **changes: str | None) -> str:
        """The query string (with its '?') of this view with `changes` applied (None removes a filter)."""
        return "?" + urlencode(self.params(**changes))

    def title(self, what: str, names: Mapping[str, str] | None = None) -> str:
        """'NPS · Enterprise · last 90 days': what is shown and every filter, by display name where known."""
        shown = [(names or {}).get(f"{key}:{value}", value) for key, value in self.dims.items()]
        return " · ".join([what, *shown, self.range_label])

    def with_dims(self, **dims: str) -> View:
        return replace(self, dims=dims)


def _day(params: Mapping[str, str], name: str) -> date:
    text = params.get(name, "").strip()
    if not text:
        raise BadFilter(name, "give a date like 2026-03-01 for a custom range")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilter(name, f"'{text[:40]}' is not a date like 2026-03-01") from None


def parse_filters(params: Mapping[str, str], *, today: date) -> View:
    """The view the query string asks for; BadFilter for the first value that cannot be used."""
    preset = params.get("range") or DEFAULT_PRESET
    if preset == CUSTOM:
        start, end = _day(params, "start"), _day(params, "end")
        if end < start:
            raise BadFilter("end", "the end is before the start")
        if end - start > LONGEST_RANGE:
            raise BadFilter("start", "a range can be at most three years long")
    elif preset in PRESETS:
        end = today
        start = today - timedelta(days=PRESETS[preset][1] - 1)
    else:
        options = ", ".join([*PRESETS, CUSTOM])
        raise BadFilter("range", f"'{preset[:40]}' is not one of: {options}")
    dims: dict[str, str] = {}
    for name in DIMENSIONS:
        value = (params.get(name) or "").strip()
        if not value:
            continue
        if len(value) > _MAX_KEY:
            raise BadFilter(name, f"a key is at most {_MAX_KEY} characters")
        if name == "channel" and value not in Channel.__members__:
            raise BadFilter(name, f"'{value}' is not a channel")
        dims[name] = value
    return View(preset=preset, start=start, end=end, dims=dims)
