"""Bulk customer upsert speed (target: >= 20k rows/s on SQLite), and the cost of keeping segments current.

    python bench/customers_upsert.py [--rows 50000] [--batch 5000] [--segments 5] [--url postgresql+psycopg://...]

Builds its own data in a throwaway SQLite file (or the given database, whose tables it drops and recreates).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert, SegmentCreate
from cxloop.journeys import service as journeys
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database

FILTERS = [
    "plan = enterprise",
    "company_size >= 200 and stage = usage",
    "tenure > 90 days",
    "tags contains vip or email contains '@example.org'",
    "not (plan in (free, trial)) and locale = en-GB",
    "event(ticket_solved, 90 days) >= 2",
]


def _items(rows: int, seed: int, *, update: bool) -> list[CustomerUpsert]:
    rng = random.Random(seed)
    stages = ["onboarding", "usage", "renewal"]
    items = []
    for i in range(rows):
        fields: dict[str, object] = {"external_id": f"c{i}"}
        if update:
            fields["attributes"] = {"company_size": rng.randint(1, 5000)}
        else:
            fields.update(
                email=f"user{i}@example.{'org' if i % 3 else 'com'}",
                name=f"Customer {i}",
                locale=rng.choice(["en", "en-GB", "fr", "de"]),
                signup_date=date(2024, 1, 1) + timedelta(days=rng.randint(0, 600)),
                stage=rng.choice(stages),
                attributes={
                    "plan": rng.choice(["free", "trial", "pro", "enterprise"]),
                    "company_size": rng.randint(1, 5000),
                    "tags": rng.sample(["vip", "beta", "partner", "edu"], k=rng.randint(0, 2)),
                },
            )
        items.append(CustomerUpsert(**fields))  # type: ignore[arg-type]
    return items


def _run(db: Database, items: list[CustomerUpsert], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(items), batch):
        with db.unit_of_work() as session:
            customers.upsert_customers(session, items=items[start : start + batch])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--segments", type=int, default=5)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        results = []
        for segments in (0, args.segments):
            db = Database(url)
            metadata.drop_all(db.engine)
            metadata.create_all(db.engine)
            with db.unit_of_work() as session:
                journeys.ensure_default_journey(session)
                for n in range(segments):
                    filter_text = FILTERS[n % len(FILTERS)]
                    customers.create_segment(session, data=SegmentCreate(key=f"s{n}", name=f"S{n}", filter=filter_text))
            new = _items(args.rows, 1, update=False)
            changed = _items(args.rows, 2, update=True)
            results.append((segments, "insert", _run(db, new, args.batch)))
            results.append((segments, "update", _run(db, changed, args.batch)))
            with db.unit_of_work() as session:
                started = time.perf_counter()
                customers.refresh_all_segments(session)
                results.append((segments, "refresh all", time.perf_counter() - started))
            db.dispose()
    print(f"{'segments':>8}  {'operation':<12} {'rows':>8} {'seconds':>8} {'rows/s':>9}")
    for segments, operation, seconds in results:
        print(f"{segments:>8}  {operation:<12} {args.rows:>8} {seconds:>8.2f} {args.rows / seconds:>9,.0f}")


if __name__ == "__main__":
    main()
