"""How fast `cxloop import responses` loads a CSV, end to end, on SQLite and PostgreSQL, against naive loaders.

    python bench/bench_import.py --rows 50000            # small scale (the full benchmark uses 1,000,000)
    python bench/bench_import.py --rows 1000000 --backends postgresql

Generates a responses CSV (relationship NPS survey, customers drawn from a pool, score-dependent comments), then for
each backend builds a fresh database and times, as subprocesses, `cxloop import responses FILE` (validation,
customers, rollups, one transaction per 50,000 rows) and the same import again (every row a duplicate). Baselines on
the same file: pandas `read_csv` + `to_sql` into a bare table (no validation, no ids, no rollups), and the ORM
row by row (one Response object and one customer SELECT per row) on a subset. PostgreSQL comes from
CXLOOP_BENCH_POSTGRES_URL (default: the test server); a throwaway database is created and dropped.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text

from cxloop.collection.models import Response
from cxloop.customers.models import Customer
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from databases import survey_database

COMMENTS = {
    "improve": ["Support took days to answer", "Too expensive for what it does", "The app keeps crashing, again"],
    "missing": ["Would like more integrations", "Reporting could be faster"],
    "like": ["Great support team", "Easy to use, saves me hours", "Love the new dashboard"],
}


def write_csv(path: Path, rows: int, customers: int, seed: int = 7) -> None:
    """A responses CSV as an export from another tool would look."""
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "survey",
                "customer_id",
                "channel",
                "touchpoint",
                "submitted_at",
                "nps",
                "comment",
                "locale",
                "response_id",
            ]
        )
        for i in range(rows):
            nps = rnd.choices(range(11), weights=[2, 1, 1, 2, 2, 4, 6, 10, 14, 16, 12])[0]
            follow_up = "improve" if nps <= 6 else "missing" if nps <= 8 else "like"
            comment = rnd.choice(COMMENTS[follow_up]) if rnd.random() < 0.4 else ""
            at = start + timedelta(seconds=rnd.randrange(365 * 86_400))
            out.writerow(
                [
                    "relationship-nps",
                    f"cust-{rnd.randrange(customers):06d}",
                    rnd.choice(("email", "email", "web", "in_app", "sms")),
                    rnd.choice(("relationship", "relationship", "renewal", "")),
                    at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    nps,
                    comment,
                    rnd.choice(("en", "en", "de", "es")),
                    f"bench-{i}",
                ]
            )


def time_cli(url: str, path: Path) -> tuple[float, str]:
    """Run `cxloop import responses` as a subprocess; (seconds, its summary line)."""
    cxloop = Path(sys.executable).with_name("cxloop")
    env = {**os.environ, "CXLOOP_DATABASE_URL": url, "CXLOOP_ENVIRONMENT": "test", "COLUMNS": "120"}
    start = time.perf_counter()
    done = subprocess.run(
        [str(cxloop), "import", "responses", str(path)], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    summary = next((line for line in done.stderr.splitlines() if line.startswith("responses:")), done.stderr[-300:])
    if done.returncode != 0:
        raise SystemExit(f"cxloop import failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, summary


def time_pandas(url: str, path: Path) -> float:
    """pandas read_csv + to_sql into a bare table: no validation, no customers, no rollups."""
    import pandas as pd

    engine = create_engine(url)
    start = time.perf_counter()
    frame = pd.read_csv(path, keep_default_na=False)
    frame.to_sql(
        "naive_responses",
        engine,
        if_exists="replace",
        index=False,
        chunksize=5000,
        method="multi" if "postgresql" in url else None,
    )
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds


def time_orm(url: str, path: Path, rows: int) -> float:
    """The ORM row by row on the first `rows` lines: a customer SELECT and a Response object per row."""
    db = Database(url)
    with path.open(newline="", encoding="utf-8") as handle:
        records = [r for _, r in zip(range(rows), csv.DictReader(handle), strict=False)]
    start = time.perf_counter()
    with db.unit_of_work() as session:
        survey = surveys.require_survey(session, key="relationship-nps")
        version = surveys.require_version(session, survey_id=survey.id)
        now = datetime.now(UTC)
        for i, record in enumerate(records):
            customer = session.scalar(select(Customer).where(Customer.external_id == record["customer_id"]))
            if customer is None:
                customer = Customer(external_id=record["customer_id"], attributes={}, created_at=now, updated_at=now)
                session.add(customer)
                session.flush()
            answers = {"nps": int(record["nps"])}
            session.add(
                Response(
                    survey_id=survey.id,
                    survey_version_id=version.id,
                    customer_id=customer.id,
                    channel=record["channel"],
                    answers=answers,
                    nps=int(record["nps"]),
                    comment=record["comment"] or None,
                    meta={},
                    locale=record["locale"],
                    is_partial=False,
                    submitted_at=datetime.fromisoformat(record["submitted_at"].replace("Z", "+00:00")),
                    received_at=now,
                    idempotency_key=f"orm-{i}",
                )
            )
            if i % 1000 == 999:
                session.flush()
    seconds = time.perf_counter() - start
    db.dispose()
    return seconds


def count_responses(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        total = int(conn.execute(text("SELECT count(*) FROM responses")).scalar_one())
    engine.dispose()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None, help="customer pool (default: rows / 20)")
    parser.add_argument("--orm-rows", type=int, default=10_000, help="subset for the ORM baseline")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--skip-baselines", action="store_true")
    args = parser.parse_args()
    results: list[tuple[str, str, int, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="cxloop-bench-") as tmp:
        workdir = Path(tmp)
        path = workdir / "responses.csv"
        start = time.perf_counter()
        write_csv(path, args.rows, args.customers or max(args.rows // 20, 1))
        print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s"
        )
        for backend in args.backends:
            with survey_database(backend) as url:
                seconds, summary = time_cli(url, path)
                assert count_responses(url) == args.rows, summary
                results.append((backend, "cxloop import responses", args.rows, seconds, summary))
                seconds, summary = time_cli(url, path)
                results.append((backend, "same file again (all duplicates)", args.rows, seconds, summary))
                if not args.skip_baselines:
                    results.append(
                        (backend, "pandas read_csv + to_sql (no validation)", args.rows, time_pandas(url, path), "")
                    )
            if not args.skip_baselines:
                with survey_database(backend) as url:
                    orm_rows = min(args.orm_rows, args.rows)
                    results.append((backend, "ORM row by row", orm_rows, time_orm(url, path, orm_rows), ""))
    print()
    print(f"{'backend':<11} {'method':<42} {'rows':>10} {'seconds':>9} {'rows/s':>10}")
    for backend, method, rows, seconds, _ in results:
        print(f"{backend:<11} {method:<42} {rows:>10,} {seconds:>9.2f} {rows / seconds:>10,.0f}")
    for backend, method, _, _, summary in results:
        if summary:
            print(f"  {backend} / {method}: {summary}")


if __name__ == "__main__":
    main()
