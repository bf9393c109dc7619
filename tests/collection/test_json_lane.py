"""API batches: a plain JSON object takes the CSV fast lane and gets exactly the row pydantic + the full checks give;
anything else (bad, unusual, or merely blank-padded) is left to the full path."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cxloop.collection import queries, response_intake
from cxloop.collection.response_rows import JSON_READER, FastLane, json_cells
from cxloop.collection.schemas import RESPONSE_ADAPTER, ResponseCreate, validated
from cxloop.core.clock import utcnow
from cxloop.storage import bulk_insert
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.models import Survey

SOON = (utcnow() + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
LATER = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
MISSING = object()
# Per field: plain values, then doubtful ones (bad, or valid but left to the full path), drawn one time in ten.
VALUES: dict[str, tuple[list[Any], list[Any]]] = {
    "survey": (["rnps"], ["nope", "", " rnps", "x" * 65, 7, None]),
    "customer_external_id": ([MISSING, "c-1", "c-2"], ["", " c-3 ", "c" * 201, 5]),
    "channel": ([MISSING, "email", "web"], ["fax", "", " web", None]),
    "touchpoint": ([MISSING, "relationship"], ["nowhere", " relationship", ""]),
    "submitted_at": (
        [MISSING, "2024-03-01T10:00:00Z", "2024-03-01T10:00:00.123456+02:00", SOON],
        ["2024-03-01", "2024-03-01 10:00:00", "yesterday", LATER, 1709287200],
    ),
    "nps": ([MISSING, 9, 3, 10, 0], [11, -1, 7.5, "9", True, None]),
    "csat": ([MISSING], [4, "4"]),
    "comment": ([MISSING, "Great", "tab\there", "ünïcode \ue000"], ["", "  padded  ", "nul\x00", "c" * 10_001]),
    "locale": ([MISSING, "en", "pt_BR"], ["english!", ""]),
    "idempotency_key": ([MISSING, "k-{i}"], ["", "k" * 201, 3]),
    "answers": ([MISSING], [{"plan": "pro"}, {}, {"q1": 9}]),
    "metadata": ([MISSING], [{"page": "/"}, {}]),
    "is_partial": ([MISSING], [False, True]),
    "version": ([MISSING], [1, 2]),
}


def _payload(rng: random.Random, i: int) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for name, (plain, doubtful) in VALUES.items():
        value = rng.choice(doubtful if rng.random() < 0.1 else plain)
        if value is not MISSING:
            payload[name] = value.replace("{i}", str(i)) if isinstance(value, str) else value
    if rng.random() < 0.02:
        payload["unexpected"] = 1
    return payload


def json_lane(session: Session) -> FastLane:
    """The fast lane for JSON objects answering 'rnps' (versions 1 and 2) at the 'relationship' touchpoint."""
    now = utcnow()
    codec = bulk_insert.codec_for(session)
    versions = surveys.resolve_versions(session, refs=[("rnps", None), ("rnps", 1), ("rnps", 2)])
    touchpoints = queries.touchpoints_by_key(session, ["relationship"])
    return FastLane(JSON_READER, versions, touchpoints, codec, now, codec.instant(now))


def test_fast_rows_equal_the_full_path_and_doubtful_objects_take_it(db: Database, survey: Survey) -> None:
    rng = random.Random(5)
    payloads = [_payload(rng, i) for i in range(3000)]
    with db.unit_of_work() as session:
        lane = json_lane(session)
        versions, touchpoints, now, codec, received_at = (
            lane.versions,
            lane.touchpoints,
            lane.now,
            lane.codec,
            lane.received_at,
        )
        fast = slow_only = 0
        for payload in payloads:
            item = validated(RESPONSE_ADAPTER, payload)
            full = None
            if isinstance(item, ResponseCreate):
                found = versions.get((item.survey, item.version))
                checked = response_intake._check(
                    item, found, found is not None, touchpoints, now, False, codec, item.idempotency_key, received_at
                )
                full = None if isinstance(checked, list) else checked
            cells = json_cells(payload)
            row = lane.row(cells, payload.get("idempotency_key")) if cells is not None else None
            if row is None:
                slow_only += full is not None
                continue
            fast += 1
            assert full is not None, payload  # the lane never takes an object the full path refuses
            assert row == (full.row, full.customer, full.seconds), payload
    assert fast > 300  # plain objects do take the lane ...
    assert slow_only > 30  # ... and valid but unusual ones are left to the full path


@pytest.mark.parametrize("size", [1, 25])
def test_batches_through_the_api_store_what_the_lane_prepared(api: TestClient, survey: Survey, size: int) -> None:
    items = [
        {"survey": "rnps", "nps": n % 11, "customer_external_id": f"c-{n % 3}", "touchpoint": "relationship"}
        for n in range(size)
    ]
    items.append({"survey": "rnps", "nps": 9, "comment": "  padded  "})  # the full path, in the same batch
    created = api.post("/api/v1/responses", json={"items": items})
    assert created.status_code == 201, created.text
    ids = created.json()["ids"]
    assert len(set(ids)) == size + 1
    stored = api.get(f"/api/v1/responses/{ids[-1]}").json()
    assert stored["comment"] == "padded" and stored["nps"] == 9
    first = api.get(f"/api/v1/responses/{ids[0]}").json()
    assert first["customer_external_id"] == "c-0" and first["touchpoint"] == "relationship"
