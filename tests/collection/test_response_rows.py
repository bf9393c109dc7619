"""The fast lane of CSV imports gives exactly the row the full path gives, and leaves every doubtful record to it."""

from __future__ import annotations

import random
from datetime import timedelta

from cxloop.collection import queries, response_intake
from cxloop.collection import service as collection
from cxloop.collection.records import ResponseInput, ResponseReader
from cxloop.collection.response_rows import FastLane
from cxloop.core.clock import utcnow
from cxloop.journeys import service as journeys
from cxloop.storage import bulk_insert
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.models import Survey

HEADER = [
    "survey",
    "version",
    "customer_id",
    "channel",
    "touchpoint",
    "submitted_at",
    "nps",
    "comment",
    "locale",
    "response_id",
    "is_partial",
    "metadata",
    "answer.q1",
    "answer.plan",
    "answer.speed",
    "answer.why-low",
]
SOON = (utcnow() + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
LATER = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
# Per column: plain values, then doubtful ones (bad, or valid but left to the full path), drawn one time in ten.
CELLS = {
    "survey": (["rnps", " rnps "], ["nope", "", "x" * 65]),
    "version": (["", "1"], ["2", "one"]),
    "customer_id": (["c-1", " c-2 ", ""], ["c" * 201]),
    "channel": (["email", "", " web "], ["fax"]),
    "touchpoint": (["", "{touchpoint}", " {touchpoint} "], ["nowhere"]),
    "submitted_at": (
        ["2024-03-01T10:00:00Z", "2024-03-01 10:00:00", "2024-03-01T10:00:00.123456+02:00", "", SOON],
        ["2024-03-01T10:00:00z", "yesterday", LATER],
    ),
    "nps": (["", "9", " 3 ", "10"], ["11", "7.5", "x"]),
    "comment": (["", "Great", "  padded  ", "tab\there", "ünïcode \ue000"], ["nul\x00", "c" * 10_001]),
    "locale": (["", "en", "pt_BR"], ["english!"]),
    "response_id": (["", "k-{i}"], ["k" * 201]),
    "is_partial": (["", "false", "no"], ["true", "maybe"]),
    "metadata": (["", "{}"], ['{"a": 1}', "[1]"]),
    "answer.q1": (["", "", "9", "3", " 6 "], ["11"]),
    "answer.plan": (["", "pro"], ["gold"]),
    "answer.speed": (["", "7"], ["0"]),
    "answer.why-low": ([""], ["too slow"]),
}


def _cell(rng: random.Random, name: str, i: int, touchpoint: str) -> str:
    plain, doubtful = CELLS[name]
    value = rng.choice(doubtful if rng.random() < 0.1 else plain)
    return value.replace("{i}", str(i)).replace("{touchpoint}", touchpoint)


def test_fast_rows_equal_the_full_path_and_doubtful_records_take_it(db: Database, survey: Survey) -> None:
    rng = random.Random(4)
    with db.unit_of_work() as session:
        touchpoint = next(iter(journeys.touchpoint_index(session)))
        records = [[_cell(rng, name, i, touchpoint) for name in HEADER] for i in range(3000)]
        reader = ResponseReader(HEADER)
        now = utcnow()
        codec = bulk_insert.codec_for(session)
        received_at = codec.instant(now)
        versions = surveys.resolve_versions(session, refs=reader.survey_refs(records))
        touchpoints = queries.touchpoints_by_key(session, reader.touchpoint_keys(records))
        lane = FastLane(reader, versions, touchpoints, codec, now, received_at)
        keys = reader.keys(records)
        fast = slow_only = 0
        for cells, key in zip(records, keys, strict=True):
            item = reader.parse(cells)
            full = None
            if isinstance(item, ResponseInput) and not item.problems:
                assert item.idempotency_key == key
                found = versions.get((item.survey, item.version))
                checked = response_intake._check(
                    item, found, found is not None, touchpoints, now, True, codec, key, received_at
                )
                full = None if isinstance(checked, list) else checked
            row = lane.row(cells, key)
            if row is None:
                slow_only += full is not None
                continue
            fast += 1
            assert full is not None, cells  # the fast lane never takes a record the full path refuses
            assert row == (full.row, full.customer, full.seconds), cells
    assert fast > 100  # plain records do take the fast lane ...
    assert slow_only > 0  # ... and records it doubts (partial, metadata, a typed comment) still get stored


def test_a_csv_import_reports_bad_records_and_stores_good_ones_once(db: Database, survey: Survey) -> None:
    header = ["survey", "customer_id", "submitted_at", "nps", "comment", "response_id"]
    rows = [
        (2, ["rnps", "c-1", "2024-03-01T10:00:00Z", "9", "Great", "r-1"]),
        (3, ["rnps", "c-1", "2024-03-01T10:00:00Z", "12", "", "r-2"]),
        (4, ["rnps", "c-2", "2024-03-02T10:00:00Z", "3", "Slow", "r-1"]),
        (5, ["rnps", "c-3", "2024-03-02T10:00:00Z", "9", "", "r-3"]),
    ]
    with db.unit_of_work() as session:
        done = collection.import_responses(session, rows=rows, file_format="csv", header=header)
    assert (done.created, done.duplicates) == (2, 1)
    assert [(e.line, [f.field for f in e.errors]) for e in done.rejected] == [(3, ["nps"])]
    with db.unit_of_work() as session:
        again = collection.import_responses(session, rows=rows, file_format="csv", header=header)
    assert (again.created, again.duplicates, len(again.rejected)) == (0, 3, 1)
