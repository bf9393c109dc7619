"""The names the dashboards domain accepts are the ones the web app draws and reads: every card kind has a builder,
every range preset and filter parameter is the filter bar's."""

from __future__ import annotations

from cxloop.dashboards.enums import BOARD_FILTERS, CARD_FILTERS, RANGES, CardKindName
from cxloop.web import cards
from cxloop.web.filters import CUSTOM, DIMENSIONS, PRESETS


def test_every_card_kind_has_a_builder() -> None:
    assert list(cards.KINDS) == list(CardKindName)
    assert all(kind.key == key for key, kind in cards.KINDS.items())


def test_ranges_and_filters_are_the_filter_bars() -> None:
    assert set(RANGES) == {*PRESETS, CUSTOM}
    assert set(CARD_FILTERS) == {"range", "start", "end", *DIMENSIONS, "metric"}
    assert set(BOARD_FILTERS) <= set(CARD_FILTERS)
