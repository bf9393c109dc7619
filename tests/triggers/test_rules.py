"""The pure parts: property conditions, occurrence dates and the anchor ranges the sweep hands to SQL."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cxloop.triggers import rules


def test_conditions_compare_numbers_strings_lists_and_presence() -> None:
    props = {"wait_minutes": 45, "channel": "chat", "ticket": {"reopens": 2}, "vip": True}
    assert rules.conditions_hold([{"property": "wait_minutes", "op": ">", "value": 30}], props)
    assert not rules.conditions_hold([{"property": "wait_minutes", "op": ">", "value": 60}], props)
    assert rules.conditions_hold([{"property": "ticket.reopens", "op": ">=", "value": 2}], props)
    assert rules.conditions_hold([{"property": "channel", "op": "in", "value": ["chat", "phone"]}], props)
    assert not rules.conditions_hold([{"property": "channel", "op": "not in", "value": ["chat"]}], props)
    assert rules.conditions_hold([{"property": "agent", "op": "exists", "value": False}], props)
    assert not rules.conditions_hold([{"property": "agent", "op": "=", "value": None}], props)  # missing: no match
    # all must hold
    both = [{"property": "wait_minutes", "op": ">", "value": 30}, {"property": "channel", "op": "=", "value": "email"}]
    assert not rules.conditions_hold(both, props)


def test_exists_without_a_value_means_present() -> None:
    """The API stores a left-out value as null; `exists` then means "is present", its documented default."""
    for condition in ({"property": "vip", "op": "exists"}, {"property": "vip", "op": "exists", "value": None}):
        assert rules.conditions_hold([condition], {"vip": 1})
        assert not rules.conditions_hold([condition], {})


def test_a_property_of_another_type_does_not_match_and_does_not_fail() -> None:
    assert not rules.conditions_hold([{"property": "wait", "op": ">", "value": 30}], {"wait": "long"})
    assert not rules.conditions_hold([{"property": "vip", "op": "=", "value": 1}], {"vip": True})  # True == 1


def test_latest_occurrence_with_and_without_repeat() -> None:
    signup = date(2026, 1, 1)
    first, last = date(2026, 1, 29), date(2026, 1, 31)
    assert rules.latest_occurrence(signup, offset_days=30, repeat_days=None, first=first, last=last) == date(
        2026, 1, 31
    )
    assert rules.latest_occurrence(signup, offset_days=31, repeat_days=None, first=first, last=last) is None
    # 90 days after signup, then every 91: day 90, 181, 272 ...
    day = signup + timedelta(days=181)
    assert rules.latest_occurrence(signup, offset_days=90, repeat_days=91, first=day, last=day) == day
    assert (
        rules.latest_occurrence(
            signup, offset_days=90, repeat_days=91, first=day + timedelta(1), last=day + timedelta(1)
        )
        is None
    )


@given(
    anchor=st.dates(min_value=date(2015, 1, 1), max_value=date(2027, 1, 1)),
    offset=st.integers(-400, 400),
    repeat=st.one_of(st.none(), st.integers(1, 400)),
    window=st.integers(1, 30),
)
def test_anchor_ranges_select_exactly_the_anchors_with_an_occurrence(
    anchor: date, offset: int, repeat: int | None, window: int
) -> None:
    last = date(2026, 6, 15)
    first = last - timedelta(days=window - 1)
    ranges = rules.anchor_ranges(
        offset_days=offset, repeat_days=repeat, first=first, last=last, oldest=date(2015, 1, 1)
    )
    selected = any(lo <= anchor <= hi for lo, hi in ranges)
    due = rules.latest_occurrence(anchor, offset_days=offset, repeat_days=repeat, first=first, last=last)
    assert selected == (due is not None)
