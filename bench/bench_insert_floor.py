"""The storage floor under bulk ingestion: how long the databases alone take to store 1M responses.

    python bench/bench_insert_floor.py --rows 1000000
    python bench/bench_insert_floor.py --rows 1000000 --backends postgresql

No cxloop code runs per row: the rows are formatted before the clock starts, as `cxloop import responses` stores
them (relationship NPS, customers from a pool of 50,000, random instants over a year, an idempotency key each), and
go into the real `responses` table in transactions of 100,000 rows. SQLite: the driver's `executemany`, with the
pragmas cxloop sets. PostgreSQL: the server reads a CSV file itself (`COPY ... FROM 'file'`, no client involved;
the benchmark must run on the database's machine). Each backend is timed with the table's indexes as cxloop
defines them, then with variants, so the cost of each index shows. Any ingestion path that validates, links
customers, dedupes and keeps rollups takes longer than the first line of its backend.
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from cxloop.migrations.metadata import metadata
from databases import throwaway_database

COLUMNS = (
    "survey_id, survey_version_id, customer_id, channel, touchpoint_id, stage_id, answers, nps, csat, ces, comment, "
    "metadata, locale, is_partial, submitted_at, received_at, idempotency_key"
)
BATCH = 100_000
Row = tuple[object, ...]


def make_rows(count: int, seed: int = 7) -> list[Row]:
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    received = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows: list[Row] = []
    for i in range(count):
        nps = rnd.randrange(11)
        comment = "Would like more integrations" if rnd.random() < 0.4 else None
        answers = f'{{"nps":{nps},"missing":"{comment}"}}' if comment else f'{{"nps":{nps}}}'
        at = (start + timedelta(seconds=rnd.randrange(365 * 86_400))).strftime("%Y-%m-%d %H:%M:%S.000000")
        channel = rnd.choice(("email", "web", "in_app", "sms"))
        row = (1, 1, rnd.randrange(1, 50_001), channel, 6, 3, answers, nps, None, None, comment, "{}", "en", False)
        rows.append((*row, at, received, f"bench-{i}"))
    return rows


# (name, statements run on the empty table before the load)
SQLITE_VARIANTS: list[tuple[str, list[str]]] = [
    ("as defined (primary key, idempotency key, submitted_at, customer+submitted_at)", []),
    ("without the submitted_at index", ["DROP INDEX ix_responses_submitted_at"]),
    (
        "primary key and idempotency key only",
        ["DROP INDEX ix_responses_submitted_at", "DROP INDEX ix_responses_customer_submitted"],
    ),
]
POSTGRES_VARIANTS: list[tuple[str, list[str]]] = [
    *SQLITE_VARIANTS,
    (
        "BRIN submitted_at, idempotency key in C collation",
        [
            "DROP INDEX ix_responses_submitted_at",
            "CREATE INDEX brin_submitted ON responses USING brin (submitted_at)",
            "ALTER TABLE responses DROP CONSTRAINT uq_responses_idempotency_key",
            'CREATE UNIQUE INDEX uq_key_c ON responses (idempotency_key COLLATE "C")',
        ],
    ),
]
# The unique idempotency key is a table constraint (SQLite cannot drop one), so every variant keeps it.


def _batches(rows: list[Row]) -> Iterator[list[Row]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def time_sqlite(rows: list[Row], setup: list[str]) -> float:
    from cxloop.storage.database import Database

    with tempfile.TemporaryDirectory(prefix="cxloop-floor-") as folder:
        url = f"sqlite:///{Path(folder) / 'floor.db'}"
        db = Database(url)  # cxloop's own pragmas: 16 KiB pages, WAL, cache size
        metadata.create_all(db.engine)
        with db.engine.connect() as conn:
            for statement in setup:
                conn.execute(text(statement))
            conn.commit()
            raw = conn.connection.dbapi_connection
            assert isinstance(raw, sqlite3.Connection)
            insert = f"INSERT INTO responses ({COLUMNS}) VALUES ({', '.join('?' * len(rows[0]))})"
            start = time.perf_counter()
            for batch in _batches(rows):
                raw.executemany(insert, batch)
                raw.commit()
            seconds = time.perf_counter() - start
        db.dispose()
    return seconds


def time_postgres(files: list[Path], setup: list[str]) -> float:
    with throwaway_database("postgresql") as url:
        engine = create_engine(url)
        metadata.create_all(engine)
        with engine.connect() as conn:
            for statement in setup:
                conn.execute(text(statement))
            conn.commit()
            start = time.perf_counter()
            for path in files:
                conn.execute(text(f"COPY responses ({COLUMNS}) FROM '{path}' WITH (FORMAT csv)"))
                conn.commit()
            seconds = time.perf_counter() - start
        engine.dispose()
    return seconds


def write_files(rows: list[Row], folder: Path) -> list[Path]:
    files = []
    for number, batch in enumerate(_batches(rows)):
        path = folder / f"batch-{number}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            for row in batch:
                out.writerow(["t" if v is True else "f" if v is False else "" if v is None else v for v in row])
        path.chmod(0o644)
        files.append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    rows = make_rows(args.rows)
    results: list[tuple[str, str, float]] = []
    for backend in args.backends:
        if backend == "sqlite":
            for name, setup in SQLITE_VARIANTS:
                results.append((backend, name, time_sqlite(rows, setup)))
                print(f"{backend:<11} {name:<82} {results[-1][2]:7.2f} s", flush=True)
            continue
        with tempfile.TemporaryDirectory(prefix="cxloop-floor-") as folder:
            Path(folder).chmod(0o755)  # the server process reads the files
            files = write_files(rows, Path(folder))
            for name, setup in POSTGRES_VARIANTS:
                results.append((backend, name, time_postgres(files, setup)))
                print(f"{backend:<11} {name:<82} {results[-1][2]:7.2f} s", flush=True)
    print()
    print(f"{'backend':<11} {'indexes':<82} {'seconds':>8} {'rows/s':>9}")
    for backend, name, seconds in results:
        print(f"{backend:<11} {name:<82} {seconds:>8.2f} {args.rows / seconds:>9,.0f}")


if __name__ == "__main__":
    main()
