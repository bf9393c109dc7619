"""Experiment results over 1M responses: cxloop's SQL (each customer's latest answer, one index step per customer,
variants hashed in Python) against pandas over the same rows in memory.

    python bench/bench_experiments.py [--rows 1000000] [--customers 100000] [--backend sqlite|postgresql]
                                      [--url postgresql+psycopg://...] [--repeat 3]

Builds its data with bench_metrics.build (`--rows` NPS responses of `--customers` customers over 24 months), creates
a three-variant experiment over all of it, and times
  (a) `experiments.results.results` (what `GET /api/v1/experiments/{key}/results` runs);
  (b) pandas: load (customer, external id, time, score), keep each customer's latest answer, hash the variants,
      count (loading is reported separately);
  (c) one assignment (`experiments.service.assign`, the integrators' call) and the bare hash;
and checks that (a) and (b) give the same n per variant.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import pandas as pd
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from bench_metrics import responses_database, timed
from cxloop.analytics import rollups
from cxloop.experiments import results
from cxloop.experiments import service as experiments
from cxloop.experiments.assignment import variant_for
from cxloop.experiments.schemas import ExperimentCreate
from cxloop.storage.database import Database

console = Console()
KEY = "bench"
WEIGHTS = [("control", 50.0), ("a", 25.0), ("b", 25.0)]
TODAY = date(2026, 5, 2)


def create(db: Database) -> None:
    spec = {"key": KEY, "name": "Bench", "metric": "nps", "start_date": "2024-05-01"}
    spec |= {"variants": [{"key": k, "weight": w} for k, w in WEIGHTS]}
    with db.unit_of_work() as session:
        experiments.create_experiment(session, data=ExperimentCreate.model_validate(spec))


def ours(db: Database) -> dict[str, int]:
    with db.unit_of_work() as session:
        report = results.results(session, key=KEY, today=TODAY)
    return {variant.key: variant.value.n for variant in report.variants}


def load(db: Database) -> pd.DataFrame:
    with db.engine.connect() as conn:
        return pd.read_sql(
            text(
                "SELECT r.id, c.external_id, r.submitted_at, r.nps FROM responses r "
                "JOIN customers c ON c.id = r.customer_id WHERE r.nps IS NOT NULL"
            ),
            conn,
        )


def with_pandas(frame: pd.DataFrame) -> dict[str, int]:
    latest = frame.sort_values(["submitted_at", "id"]).drop_duplicates("external_id", keep="last")
    variants = latest["external_id"].map(lambda e: variant_for(KEY, e, WEIGHTS))
    return {k: int(n) for k, n in variants.value_counts().items()}


def assign(db: Database, count: int) -> float:
    with db.unit_of_work() as session:
        started = time.perf_counter()
        for i in range(count):
            experiments.assign(session, key=KEY, customer=f"c{i + 1}", today=TODAY)
        return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database is created there)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rollups.configure(["UTC"])
    with responses_database(args) as db:
        create(db)
        median, best, counted = timed(lambda: ours(db), args.repeat)
        started = time.perf_counter()
        frame = load(db)
        loading = time.perf_counter() - started
        panda, panda_best, panda_counted = timed(lambda: with_pandas(frame), args.repeat)
        one = assign(db, 1_000)
        db.dispose()
    started = time.perf_counter()
    for i in range(100_000):
        variant_for(KEY, f"c{i}", WEIGHTS)
    bare = (time.perf_counter() - started) / 100_000

    table = Table(title=f"experiment results, {args.rows:,} responses of {args.customers:,} customers, {args.backend}")
    for column in ("what", "median", "best"):
        table.add_column(column, justify="right" if column != "what" else "left")
    table.add_row("(a) results (latest answer per customer in SQL + hashing)", f"{median:.2f} s", f"{best:.2f} s")
    table.add_row("(b) pandas, in memory", f"{panda:.2f} s", f"{panda_best:.2f} s")
    table.add_row("    loading the rows for pandas", f"{loading:.2f} s", "")
    table.add_row("(c) one assignment (service, database)", f"{one * 1e3:.2f} ms", "")
    table.add_row("    the bare hash", f"{bare * 1e6:.1f} µs", "")
    console.print(table)
    console.print(f"n per variant: {counted}; pandas agrees: {counted == panda_counted}")


if __name__ == "__main__":
    main()
