"""The SLA report over many cases, against a plain recount of `cxloop export cases` with pandas in the same run.

    python bench/bench_sla_report.py --cases 100000                        # SQLite (the embedded default)
    python bench/bench_sla_report.py --cases 100000 --backend postgresql

Builds N cases over the last year with bulk inserts (straight into the tables: the point is the report, not
opening cases; then `cases.fill_clock_minutes` stores each stopped clock's working minutes, as the lifecycle does
when a clock stops and the migration that added them did), in three teams (office hours in Dublin and New York with
holidays, and one around the clock) and nine owners: most acknowledged within a few working hours and closed within
two days, a tail late, a few still open (all of them at least 30 days old, so every figure is settled and does not
move while the benchmark runs). Then:

(a) `cases.sla_report(by=team)` and `(by=owner)` as the API and `cxloop cases sla-report` call it (median of 5);
(b) the naive recount: `cxloop export cases --format csv` in a subprocess, then pandas over the file: the shares
    within 2 h / 6 h / 48 h with their n, the median and p90 (nearest rank) of the working hours.

Every figure of (a) must equal (b) exactly (the script checks, and fails otherwise).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, insert, text

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.access.schemas import TeamCreate
from cxloop.cases import service as cases
from cxloop.cases.models import Case
from cxloop.cases.schemas import SlaReport
from cxloop.customers import service as customers
from cxloop.customers.schemas import CustomerUpsert
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database
from databases import throwaway_database

OFFICE = {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
TARGETS = (("acknowledged_within_2h", "acknowledge", 120), ("acknowledged_within_6h", "acknowledge", 360))
CLOSE_TARGET = ("closed_within_48h", "close", 2880)


def build(db: Database, count: int, now: datetime, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with db.unit_of_work(write=True) as session:
        people = [access.create_user(session, email=f"agent{n}@example.com", role=Role.agent).id for n in range(9)]
        teams = [
            access.create_team(
                session,
                data=TeamCreate(
                    key="dublin", name="Dublin", timezone="Europe/Dublin", business_hours=OFFICE,
                    holidays=["2026-03-17", "2026-12-25"], member_ids=people[:3],
                ),
            ).id,
            access.create_team(
                session,
                data=TeamCreate(
                    key="newyork", name="New York", timezone="America/New_York", business_hours=OFFICE,
                    holidays=["2026-07-04", "2026-11-26"], member_ids=people[3:6],
                ),
            ).id,
            access.create_team(session, data=TeamCreate(key="allday", name="All day", member_ids=people[6:])).id,
        ]  # fmt: skip
        customer_ids = customers.upsert_customers(
            session, items=[CustomerUpsert(external_id=f"c-{n}") for n in range(1000)]
        )
    table = cast(Table, Case.__table__)
    chunk = 20_000
    for start in range(0, count, chunk):
        rows: list[dict[str, Any]] = []
        for n in range(start, min(start + chunk, count)):
            team = rnd.randrange(3)
            created = now - timedelta(days=30 + rnd.uniform(0, 335))
            acknowledged = created + timedelta(hours=rnd.lognormvariate(0.3, 1.2)) if rnd.random() < 0.97 else None
            closed = (
                created + timedelta(hours=rnd.lognormvariate(3.0, 0.9))
                if acknowledged is not None and rnd.random() < 0.95
                else None
            )
            if closed is not None and acknowledged is not None and closed < acknowledged:
                closed = acknowledged + timedelta(minutes=30)
            status = "closed" if closed else "acknowledged" if acknowledged else "new"
            rows.append(
                {
                    "customer_id": customer_ids[n % len(customer_ids)],
                    "open_customer_id": None,
                    "team_id": teams[team],
                    "owner_user_id": people[team * 3 + rnd.randrange(3)],
                    "status": status,
                    "priority": "normal",
                    "title": f"case {n}",
                    "tags": [],
                    "routing": {},
                    "created_at": created,
                    "updated_at": closed or acknowledged or created,
                    "acknowledged_at": acknowledged,
                    "resolved_at": closed,
                    "closed_at": closed,
                    "acknowledge_due_at": created + timedelta(hours=2),
                    "first_response_due_at": created + timedelta(hours=24),
                    "close_due_at": created + timedelta(hours=48),
                    "reopened": 0,
                }
            )
        with db.unit_of_work(write=True) as session:
            session.execute(insert(table), rows)


def figures(report: SlaReport) -> dict[str, dict[str, Any]]:
    found = {}
    for row in report.rows:
        found[row.group] = {
            "cases": row.cases,
            **{
                name: (getattr(row, name).successes, getattr(row, name).n)
                for name, _, _ in (*TARGETS, CLOSE_TARGET)
            },
            "acknowledge": (
                row.time_to_acknowledge.n, row.time_to_acknowledge.median_hours, row.time_to_acknowledge.p90_hours
            ),
            "close": (row.time_to_close.n, row.time_to_close.median_hours, row.time_to_close.p90_hours),
        }  # fmt: skip
    return found


def recount(frame: pd.DataFrame, by: str) -> dict[str, dict[str, Any]]:
    """The report's figures from the exported cells alone, with pandas."""
    frame = frame.assign(group=frame[by].fillna("(none)"))
    found = {}
    for group, rows in frame.groupby("group", sort=True):
        entry: dict[str, Any] = {"cases": len(rows)}
        for name, clock, target in (*TARGETS, CLOSE_TARGET):
            reached = rows["acknowledged_at" if clock == "acknowledge" else "closed_at"].notna()
            minutes = rows[f"{clock}_minutes"]
            entry[name] = (int((reached & (minutes <= target)).sum()), int((reached | (minutes > target)).sum()))
        for clock, moment in (("acknowledge", "acknowledged_at"), ("close", "closed_at")):
            values = sorted(rows.loc[rows[moment].notna(), f"{clock}_minutes"].tolist())
            if not values:
                entry[clock] = (0, None, None)
                continue
            p90 = values[max(math.ceil(0.9 * len(values)), 1) - 1]
            entry[clock] = (len(values), round(statistics.median(values) / 60, 4), round(p90 / 60, 4))
        found[str(group)] = entry
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with throwaway_database(args.backend) as url, tempfile.TemporaryDirectory() as folder:
        db = Database(url)
        metadata.create_all(db.engine)
        started = time.perf_counter()
        build(db, args.cases, now)
        print(f"built {args.cases:,} cases in {time.perf_counter() - started:.1f} s ({args.backend})")
        started = time.perf_counter()
        with db.unit_of_work(write=True) as session:
            filled = cases.fill_clock_minutes(session)
        print(f"stored the stopped clocks' minutes of {filled:,} cases in {time.perf_counter() - started:.1f} s")
        if args.backend == "postgresql":  # what autovacuum does after a bulk load: statistics, visibility map
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE cases"))
        reports = {}
        for by in ("team", "owner"):
            seconds = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                with db.unit_of_work() as session:
                    reports[by] = cases.sla_report(session, by=by, as_of=datetime.now(UTC))  # type: ignore[arg-type]
                seconds.append(time.perf_counter() - began)
            print(
                f"(a) sla_report by {by}: median {statistics.median(seconds) * 1000:.0f} ms, "
                f"best {min(seconds) * 1000:.0f} ms over {args.repeat}"
            )
        file = Path(folder) / "cases.csv"
        cxloop = str(Path(sys.executable).with_name("cxloop"))
        env = {**os.environ, "CXLOOP_DATABASE_URL": url, "CXLOOP_ENVIRONMENT": "test", "CXLOOP_DATA_DIR": folder}
        began = time.perf_counter()
        with file.open("wb") as out:
            subprocess.run(
                [cxloop, "export", "cases", "--format", "csv", "--no-formula-escape"], env=env, stdout=out, check=True
            )
        exported = time.perf_counter() - began
        began = time.perf_counter()
        frame = pd.read_csv(file)
        loaded = time.perf_counter() - began
        ok = True
        for by, column in (("team", "team"), ("owner", "owner")):
            began = time.perf_counter()
            expected = recount(frame, column)
            counted = time.perf_counter() - began
            same = figures(reports[by]) == expected
            ok = ok and same
            print(f"(b) recount by {by} with pandas: {counted * 1000:.0f} ms; identical to (a): {same}")
        print(f"(b) `cxloop export cases` {exported:.1f} s, read into pandas {loaded * 1000:.0f} ms")
        db.dispose()
        if not ok:
            raise SystemExit("MISMATCH between the report and the recount")


if __name__ == "__main__":
    main()
