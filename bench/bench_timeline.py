"""The customer timeline (`cxloop.timeline.service.customer_timeline`) for a customer with a long history.

    python bench/bench_timeline.py --per-kind 20000 --others 200000
    python bench/bench_timeline.py --per-kind 20000 --others 200000 --backend postgresql

Loads one customer with `--per-kind` responses, feedback items and events (spread over two years, many sharing an
instant), `--others` responses and events of 10,000 other customers, then times a page of 50 entries: the first
page, and a page deep in the history (after the cursor of the 200th page, reached by walking the pages). Each
source reads at most `limit + 1` rows through its (customer_id, time) index, so the time of a page should not grow
with the history. The median of `--repeat` runs, in milliseconds. The walk also checks that the pages hold every
entry once, newest first.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select

from cxloop.cases.schemas import EVERY_CASE
from cxloop.collection.models import FeedbackItem, Response
from cxloop.customers.models import Customer, Event
from cxloop.storage.database import Database
from cxloop.surveys.models import Survey, SurveyVersion
from cxloop.timeline import service as timelines
from cxloop.timeline.sources import View
from databases import survey_database

START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 2 * 365 * 24 * 60


def _load(db: Database, per_kind: int, others: int, seed: int = 7) -> int:
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    with db.unit_of_work(write=True) as session:
        survey_id, version_id = session.execute(select(Survey.id, SurveyVersion.id).join(SurveyVersion)).first()  # type: ignore[misc]
        rows = [
            {"external_id": f"c-{n}", "attributes": {}, "created_at": now, "updated_at": now} for n in range(10_001)
        ]
        session.execute(insert(cast(Table, Customer.__table__)), rows)
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))
    heavy, rest = ids[0], ids[1:]

    def instant() -> datetime:
        return START + timedelta(minutes=rnd.randrange(SPAN_MINUTES // 10) * 10)  # ten-minute steps: many ties

    def response(customer_id: int) -> dict[str, Any]:
        at = instant()
        return {
            "survey_id": survey_id,
            "survey_version_id": version_id,
            "customer_id": customer_id,
            "channel": "email",
            "answers": {},
            "nps": rnd.randrange(11),
            "meta": {},
            "is_partial": False,
            "submitted_at": at,
            "received_at": at,
        }

    def event(customer_id: int) -> dict[str, Any]:
        at = instant()
        return {
            "customer_id": customer_id,
            "name": "order_delivered",
            "properties": {},
            "occurred_at": at,
            "received_at": at,
            "source": "api",
        }

    def feedback(customer_id: int) -> dict[str, Any]:
        at = instant()
        return {
            "kind": "review",
            "source": "g2",
            "channel": "review",
            "text": "fine",
            "customer_id": customer_id,
            "meta": {},
            "posted_at": at,
            "received_at": at,
        }

    batches = [
        (Response, [response(heavy) for _ in range(per_kind)] + [response(rnd.choice(rest)) for _ in range(others)]),
        (Event, [event(heavy) for _ in range(per_kind)] + [event(rnd.choice(rest)) for _ in range(others)]),
        (FeedbackItem, [feedback(heavy) for _ in range(per_kind)]),
    ]
    for model, all_rows in batches:
        for start in range(0, len(all_rows), 20_000):
            with db.unit_of_work(write=True) as session:
                session.execute(insert(model), all_rows[start : start + 20_000])
    if db.engine.dialect.name == "postgresql":  # the statistics autovacuum would gather after a load like this
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return heavy


def _page_ms(db: Database, customer_id: int, cursor: str | None, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with db.unit_of_work() as session:
            timelines.customer_timeline(session, customer_id=customer_id, view=View(EVERY_CASE), cursor=cursor)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-kind", type=int, default=20_000)
    parser.add_argument("--others", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with survey_database(args.backend) as url:
        db = Database(url)
        started = time.perf_counter()
        customer_id = _load(db, args.per_kind, args.others)
        print(f"loaded in {time.perf_counter() - started:.1f} s")
        seen: list[tuple[datetime, str, int]] = []
        cursor = None
        for _ in range(200):
            with db.unit_of_work() as session:
                page = timelines.customer_timeline(
                    session, customer_id=customer_id, view=View(EVERY_CASE), cursor=cursor
                )
            seen += [(e.at, e.kind, e.id) for e in page.items]
            cursor = page.next_cursor
        assert seen == sorted(seen, reverse=True) and len(set(seen)) == len(seen), "pages out of order or repeated"
        first, deep = _page_ms(db, customer_id, None, args.repeat), _page_ms(db, customer_id, cursor, args.repeat)
        print(
            f"{args.backend}: {3 * args.per_kind:,} entries of one customer, {2 * args.others:,} of others; "
            f"page of 50: first {first:.1f} ms, after 200 pages {deep:.1f} ms (median of {args.repeat})"
        )
        db.dispose()


if __name__ == "__main__":
    main()
