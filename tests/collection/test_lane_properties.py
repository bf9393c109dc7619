"""Property: the fast lane (response_rows.FastLane over json_cells) is checked against the one validation definition,
pydantic's ResponseCreate plus response_intake's full checks. For any object, when the lane gives a row the full path
accepts the object and gives the very same row; whatever the full path refuses, the lane leaves to it."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop.collection import response_intake
from cxloop.collection.response_rows import json_cells
from cxloop.collection.schemas import RESPONSE_ADAPTER, ResponseCreate, validated
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey
from tests.collection.test_json_lane import MISSING, VALUES, json_lane

_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 13),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
    st.text(alphabet=" \t\x00ab_-ZT:0123456789+", max_size=26),
)


def _values(name: str, which: int) -> list[Any]:
    return [value.replace("{i}", "7") if isinstance(value, str) else value for value in VALUES[name][which]]


@st.composite
def _payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A plain object with up to three fields drawn from the doubtful values or from anything at all."""
    odd = draw(st.sets(st.sampled_from([*VALUES, "unexpected"]), max_size=3))
    payload: dict[str, Any] = {}
    for name in [*VALUES, "unexpected"]:
        if name in odd:
            doubtful = _values(name, 1) if name in VALUES else [1]
            value = draw(st.one_of(st.sampled_from(doubtful), _ANY))
        else:
            value = draw(st.sampled_from(_values(name, 0))) if name in VALUES else MISSING
        if value is not MISSING:
            payload[name] = value
    return payload


def test_the_lane_agrees_with_the_full_validation(db: Database, survey: Survey) -> None:
    with db.unit_of_work() as session:
        lane = json_lane(session)
        taken: list[bool] = []

        @settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(_payloads())
        def agree(payload: dict[str, Any]) -> None:
            cells = json_cells(payload)
            row = lane.row(cells, payload.get("idempotency_key")) if cells is not None else None
            taken.append(row is not None)
            if row is None:
                return
            item = validated(RESPONSE_ADAPTER, payload)
            assert isinstance(item, ResponseCreate), (payload, item)  # the lane never takes what pydantic refuses
            found = lane.versions.get((item.survey, item.version))
            checked = response_intake._check(
                item,
                found,
                found is not None,
                lane.touchpoints,
                lane.now,
                False,
                lane.codec,
                item.idempotency_key,
                lane.received_at,
            )
            assert not isinstance(checked, list), (payload, checked)  # ... nor what the full checks refuse
            assert row == (checked.row, checked.customer, checked.seconds), payload

        agree()
    assert any(taken)  # the strategy does reach the lane
