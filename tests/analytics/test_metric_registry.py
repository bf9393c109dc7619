"""The metric registry (analytics/metrics.py): every metric defined once, fed by rollups that have a scale, and its
summary fields exactly those the API model shows."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxloop.analytics import metrics, stats
from cxloop.analytics.enums import MetricKind, MetricSource
from cxloop.analytics.metrics import METRICS, Metric
from cxloop.analytics.schemas import MetricValue
from cxloop.surveys.scales import SCALES


def test_every_metric_kind_is_defined_once() -> None:
    assert set(METRICS) == set(MetricKind)
    for kind, definition in METRICS.items():
        assert definition.kind is kind
    with pytest.raises(TypeError):
        METRICS[MetricKind.nps] = METRICS[MetricKind.ces]  # type: ignore[index]


def test_scores_feeding_each_metric() -> None:
    assert {kind: dict(m.scores) for kind, m in METRICS.items()} == {
        MetricKind.nps: {MetricSource.responses: ("nps",), MetricSource.feedback: (), MetricSource.all: ("nps",)},
        MetricKind.csat: {
            MetricSource.responses: ("csat",),
            MetricSource.feedback: ("rating",),
            MetricSource.all: ("csat", "rating"),
        },
        MetricKind.ces: {MetricSource.responses: ("ces",), MetricSource.feedback: (), MetricSource.all: ("ces",)},
    }


@pytest.mark.parametrize("kind", list(MetricKind))
def test_the_fields_shown_are_the_api_model_fields(kind: MetricKind) -> None:
    definition = metrics.metric(kind)
    low, high = SCALES[kind.value]
    fields = definition.fields(definition.summarise(Counter({low: 3, high: 5})))
    assert fields["n"] == 8
    assert set(fields) <= set(MetricValue.model_fields)
    MetricValue(**fields)  # every field has the model's type


@given(
    st.sampled_from(list(MetricKind)),
    st.lists(st.integers(0, 10), min_size=2, max_size=40),
    st.lists(st.integers(0, 10), min_size=2, max_size=40),
)
def test_summary_and_change_are_the_statistics(kind: MetricKind, current: list[int], previous: list[int]) -> None:
    low, high = SCALES[kind.value]
    now = Counter(min(max(s, low), high) for s in current)
    before = Counter(min(max(s, low), high) for s in previous)
    definition = metrics.metric(kind)
    maths = {MetricKind.nps: (stats.nps, stats.nps_change), MetricKind.csat: (stats.csat, stats.csat_change)}
    summarise, change = maths.get(kind, (stats.ces, stats.ces_change))
    assert definition.summarise(now) == summarise(now)  # type: ignore[operator]
    assert definition.change(definition.summarise(now), definition.summarise(before)) == change(
        summarise(now),  # type: ignore[operator]
        summarise(before),  # type: ignore[operator]
    )


def test_a_definition_is_checked() -> None:
    nps = METRICS[MetricKind.nps]
    twice = (nps, nps)
    with pytest.raises(ValueError, match="defined twice"):
        metrics._checked(twice)
    partial = Metric(nps.kind, nps.summarise, nps.change, (), {MetricSource.all: ("nps",)}, nps.estimate)
    with pytest.raises(ValueError, match="every source"):
        metrics._checked((partial,))
    unscaled = Metric(nps.kind, nps.summarise, nps.change, (), dict.fromkeys(MetricSource, ("stars",)), nps.estimate)
    with pytest.raises(ValueError, match="no scale"):
        metrics._checked((unscaled,))
