"""NPS by segment by month: the API over rollups vs a plain GROUP BY over raw rows vs pandas in memory.

    python bench/bench_metrics.py [--rows 1000000] [--customers 20000] [--backend sqlite|postgresql]
                                  [--url postgresql+psycopg://...] [--repeat 5] [--in-process]

Builds its own data: `--rows` responses over `--customers` customers in 4 overlapping segments, the default
journey's 5 stages and 24 months, bulk-loaded (SQLite executemany on the raw connection, PostgreSQL COPY), then
rollups recounted with `rebuild_rollups`. It then times NPS by segment by month
  (a) through `GET /api/v1/metrics/nps?group_by=month,segment` on a real `cxloop serve` subprocess (httpx), which
      answers from the rollups (`--in-process` uses Starlette's TestClient instead);
  (b) as a plain GROUP BY over the raw responses joined to segment members (and cxloop's own raw path);
  (c) with pandas over the same rows in memory (loading them is reported separately);
and checks that all of them give the same counts (promoters, passives, detractors, n) and NPS values.
Targets: (a) < 300 ms over 1M rows on SQLite, < 1 s over 10M on PostgreSQL.
SQLite works in a temporary directory; PostgreSQL creates a throwaway database on the server of `--url` (default:
CXLOOP_BENCH_POSTGRES_URL, else the test server) and drops it (bench/databases.py).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pandas as pd
from rich.console import Console
from rich.table import Table
from sqlalchemy import select, text

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.analytics import rollups, stats
from cxloop.analytics import service as analytics
from cxloop.analytics.schemas import MetricQuery
from cxloop.journeys import service as journeys
from cxloop.journeys.models import Stage
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database
from databases import throwaway_database

console = Console()
SEGMENTS = ("enterprise", "smb", "at-risk", "champions")
START = datetime(2024, 5, 1, tzinfo=UTC)
MONTHS = 24
Result = dict[tuple[str, str], tuple[int, int, int, int, float]]  # (month, segment) -> (n, P, passives, D, NPS)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median seconds, best seconds, last result) over `repeat` runs after one warm-up."""
    result = fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), result


# ---- data ----------------------------------------------------------------------------------------------------


def build(
    db: Database,
    *,
    rows: int,
    customers: int,
    seed: int,
    start: datetime = START,
    months: int = MONTHS,
    chronological: bool = False,
) -> dict[str, float]:
    """Customers, segments, surveys and `rows` responses from `start` over `months` (a multiple of 12); returns the
    load timings. `chronological` stores them in submission order, as they arrive in production (ids rise with
    time, so a date range is a run of neighbouring rows), rather than in random order."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    with db.unit_of_work() as session:
        journeys.ensure_default_journey(session)
        stage_ids = list(session.scalars(select(Stage.id).order_by(Stage.position)))
    now = "2026-01-01 00:00:00"
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO surveys (id, key, name, status, default_locale, current_version, created_at, "
                "updated_at) VALUES (1, 'relationship', 'Relationship NPS', 'live', 'en', 1, :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO survey_versions (id, survey_id, version, definition, created_at) VALUES (1, 1, 1, :d, :t)"
            ),
            {"d": '{"questions": []}', "t": now},
        )
        conn.execute(
            text(
                "INSERT INTO customers (id, external_id, attributes, stage_id, created_at, updated_at) "
                "VALUES (:id, :ext, '{}', :stage, :t, :t)"
            ),
            [{"id": i, "ext": f"c{i}", "stage": rng.choice(stage_ids), "t": now} for i in range(1, customers + 1)],
        )
        for position, key in enumerate(SEGMENTS, start=1):
            conn.execute(
                text(
                    "INSERT INTO segments (id, key, name, description, filter, created_at, updated_at) "
                    "VALUES (:id, :key, :name, '', 'true', :t, :t)"
                ),
                {"id": position, "key": key, "name": key.title(), "t": now},
            )
        members = []
        for customer in range(1, customers + 1):
            first = rng.randrange(len(SEGMENTS)) + 1
            members.append({"s": first, "c": customer})
            if rng.random() < 0.25:  # a quarter of customers sit in a second segment
                second = first % len(SEGMENTS) + 1
                members.append({"s": second, "c": customer})
        conn.execute(text("INSERT INTO segment_members (segment_id, customer_id) VALUES (:s, :c)"), members)
    timings["customers + segments"] = time.perf_counter() - started

    started = time.perf_counter()
    span = int((start.replace(year=start.year + months // 12) - start).total_seconds())
    # Skewed scores, so months and segments differ a little.
    weights = [3, 1, 1, 2, 2, 4, 6, 9, 14, 16, 12]
    scores = rng.choices(range(11), weights=weights, k=rows)
    records = (
        (
            rng.randint(1, customers),
            rng.choice(stage_ids),
            scores[i],
            (start + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000))),
        )
        for i in range(rows)
    )
    load_responses(db, iter(sorted(records, key=lambda record: record[3])) if chronological else records)
    timings["responses bulk load"] = time.perf_counter() - started
    started = time.perf_counter()
    with db.unit_of_work() as session:
        rollups.rebuild_rollups(session)
    timings["rebuild_rollups"] = time.perf_counter() - started
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return timings


@contextmanager
def responses_database(
    args: argparse.Namespace, extra: Callable[[Database], dict[str, float]] | None = None
) -> Iterator[Database]:
    """A throwaway database (`args.backend`, `args.url`) holding `build`'s responses (`args.rows`, `args.customers`,
    `args.seed`) and what `extra` adds (setup step -> seconds); prints every setup step's time."""
    with throwaway_database(args.backend, args.url) as url:
        db = Database(url)
        metadata.create_all(db.engine)
        timings = build(db, rows=args.rows, customers=args.customers, seed=args.seed)
        if extra is not None:
            timings.update(extra(db))
        for name, seconds in timings.items():
            console.print(f"setup: {name} {seconds:.1f} s")
        yield db


def load_responses(db: Database, records: Iterator[tuple[int, int, int, datetime]]) -> None:
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.is_sqlite:
            # The same text the UTCDateTime column type writes: naive UTC with microseconds.
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            cursor.executemany(
                "INSERT INTO responses (survey_id, survey_version_id, customer_id, channel, stage_id, answers, nps, "
                "metadata, is_partial, submitted_at, received_at) VALUES (1, 1, ?, 'email', ?, '{}', ?, '{}', 0, ?, ?)",
                ((c, s, n, at.strftime(fmt), at.strftime(fmt)) for c, s, n, at in records),
            )
        else:
            columns = (
                "survey_id, survey_version_id, customer_id, channel, stage_id, answers, nps, metadata, "
                "is_partial, submitted_at, received_at"
            )
            with cursor.copy(f"COPY responses ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                buffer = io.StringIO()
                for count, (c, s, n, at) in enumerate(records, start=1):
                    stamp = at.isoformat()
                    buffer.write(f"1\t1\t{c}\temail\t{s}\t{{}}\t{n}\t{{}}\tf\t{stamp}\t{stamp}\n")
                    if count % 100_000 == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()


# ---- the three ways ------------------------------------------------------------------------------------------


def from_api(body: dict[str, Any]) -> Result:
    return {
        (g["keys"]["month"], g["keys"]["segment"]): (g["n"], g["promoters"], g["passives"], g["detractors"], g["value"])
        for g in body["groups"]
    }


def plain_group_by(db: Database) -> Result:
    """What one would write without rollups: GROUP BY month, segment, score over every raw row."""
    month = (
        "strftime('%Y-%m', r.submitted_at)" if db.is_sqlite else "to_char(r.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    )
    sql = text(
        f"SELECT {month} AS month, s.key, r.nps, count(*) FROM responses r "
        "JOIN segment_members m ON m.customer_id = r.customer_id JOIN segments s ON s.id = m.segment_id "
        "WHERE r.nps BETWEEN 0 AND 10 GROUP BY 1, 2, 3"
    )
    hists: dict[tuple[str, str], dict[int, int]] = {}
    with db.engine.connect() as conn:
        for month_key, segment, score, count in conn.execute(sql):
            hists.setdefault((month_key, segment), {})[score] = count
    return {key: _row(hist) for key, hist in hists.items()}


def _row(hist: dict[int, int]) -> tuple[int, int, int, int, float]:
    summary = stats.nps(hist)
    assert summary.value is not None
    return summary.n, summary.promoters, summary.passives, summary.detractors, summary.value


def pandas_frames(db: Database) -> tuple[pd.DataFrame, pd.DataFrame]:
    with db.engine.connect() as conn:
        responses = pd.read_sql(text("SELECT customer_id, submitted_at, nps FROM responses"), conn)
        members = pd.read_sql(
            text(
                "SELECT m.customer_id, s.key AS segment FROM segment_members m JOIN segments s ON s.id = m.segment_id"
            ),
            conn,
        )
    responses["month"] = pd.to_datetime(responses["submitted_at"], utc=True).dt.strftime("%Y-%m")
    return responses[["customer_id", "month", "nps"]], members


def with_pandas(responses: pd.DataFrame, members: pd.DataFrame) -> Result:
    joined = responses.merge(members, on="customer_id")
    joined["promoter"] = joined["nps"] >= 9
    joined["detractor"] = joined["nps"] <= 6
    grouped = joined.groupby(["month", "segment"]).agg(
        n=("nps", "size"), promoters=("promoter", "sum"), detractors=("detractor", "sum")
    )
    result: Result = {}
    for (month, segment), row in grouped.iterrows():
        n, p, d = int(row["n"]), int(row["promoters"]), int(row["detractors"])
        result[(str(month), str(segment))] = (n, p, n - p - d, d, (p / n - d / n) * 100)
    return result


def same(a: Result, b: Result) -> bool:
    return a.keys() == b.keys() and all(a[k][:4] == b[k][:4] and abs(a[k][4] - b[k][4]) <= 1e-9 for k in a)


@contextmanager
def api_client(url: str, key: str, in_process: bool, db: Database) -> Iterator[Callable[[], dict[str, Any]]]:
    params = {"group_by": "month,segment"}
    headers = {"Authorization": f"Bearer {key}"}
    if in_process:
        from fastapi.testclient import TestClient

        from cxloop.app import create_app
        from cxloop.core.config import Settings

        with TestClient(create_app(Settings(environment="test", database_url=url), database=db)) as client:
            yield lambda: client.get("/api/v1/metrics/nps", params=params, headers=headers).raise_for_status().json()
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "CXLOOP_DATABASE_URL": url, "CXLOOP_ENVIRONMENT": "test", "CXLOOP_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "cxloop", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
            for _ in range(200):
                try:
                    client.get("/api/v1/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("cxloop serve did not start")
            yield lambda: client.get("/api/v1/metrics/nps", params=params).raise_for_status().json()
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database is created there)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--in-process", action="store_true", help="call the API through TestClient, not a server")
    args = parser.parse_args()

    with throwaway_database(args.backend, args.url) as url:
        db = Database(url)
        metadata.create_all(db.engine)
        console.print(f"building {args.rows:,} responses over {args.customers:,} customers on {args.backend} ...")
        setup = build(db, rows=args.rows, customers=args.customers, seed=args.seed)
        with db.unit_of_work() as session:
            _, key = access.create_api_key(session, name="bench", role=Role.viewer)

        table = Table(title=f"NPS by segment by month, {args.rows:,} responses, {args.backend}")
        for column in ("step", "median", "best", "groups", "same numbers"):
            table.add_column(column, justify="right" if column != "step" else "left")
        for step, seconds in setup.items():
            table.add_row(f"setup: {step}", f"{seconds:.2f} s", "", "", "")

        with api_client(url, key, args.in_process, db) as call:
            median, best, body = timed(call, args.repeat)
        assert body["path"] == "rollup", body["path"]
        reference = from_api(body)
        where = "TestClient" if args.in_process else "cxloop serve + httpx"
        table.add_row(
            f"(a) API over rollups ({where})",
            f"{median * 1000:.0f} ms",
            f"{best * 1000:.0f} ms",
            str(len(reference)),
            "reference",
        )

        median, best, plain = timed(lambda: plain_group_by(db), max(1, args.repeat // 2))
        table.add_row(
            "(b) plain GROUP BY over raw rows",
            f"{median * 1000:.0f} ms",
            f"{best * 1000:.0f} ms",
            str(len(plain)),
            "yes" if same(plain, reference) else "NO",
        )

        def raw_path() -> Result:
            configured = rollups.rolled_up_timezones()
            rollups.configure([])
            try:
                with db.unit_of_work() as session:
                    result = analytics.compute_metric(
                        session, query=MetricQuery(metric="nps", group_by=["month", "segment"])
                    )
            finally:
                rollups.configure(configured)
            return from_api(result.model_dump(mode="json"))

        median, best, raw = timed(raw_path, max(1, args.repeat // 2))
        table.add_row(
            "(b') cxloop raw path (any filter)",
            f"{median * 1000:.0f} ms",
            f"{best * 1000:.0f} ms",
            str(len(raw)),
            "yes" if same(raw, reference) else "NO",
        )

        started = time.perf_counter()
        responses, members = pandas_frames(db)
        loading = time.perf_counter() - started
        table.add_row("(c) pandas: load rows into memory", f"{loading * 1000:.0f} ms", "", "", "")
        median, best, frame_result = timed(lambda: with_pandas(responses, members), max(1, args.repeat // 2))
        table.add_row(
            "(c) pandas: group in memory",
            f"{median * 1000:.0f} ms",
            f"{best * 1000:.0f} ms",
            str(len(frame_result)),
            "yes" if same(frame_result, reference) else "NO",
        )
        console.print(table)
        db.dispose()
        if not (same(plain, reference) and same(raw, reference) and same(frame_result, reference)):
            raise SystemExit("the three ways disagree")


if __name__ == "__main__":
    main()
