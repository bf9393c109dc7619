"""The anomaly scan over every segment x metric x week series of 1M responses, against a naive pandas groupby.

    python bench/bench_anomalies.py [--rows 1000000] [--customers 20000] [--backend sqlite|postgresql]
                                    [--url postgresql+psycopg://...] [--repeat 3] [--weeks 12]

Builds its data with bench_metrics.build (bulk inserts into a throwaway database: `--rows` responses over 24
months, 4 overlapping segments, rollups rebuilt), then gives a third of the responses a CSAT and a third a CES
answer and every response one of `--touchpoints` touchpoints (and recounts the rollups), so all three metrics have
series overall, per segment and per touchpoint. It times `analytics.anomalies.scan` with
nothing stored:
  (a) the worker's daily run (last week and last day) from the rollups;
  (b) the same over the last `--weeks` weeks (every week tested: 12x the tests);
  (c) the daily run from raw rows (rollups switched off);
  (d) a naive pandas groupby (segment, ISO week, score) over the responses in memory (loading them is separate),
and checks that the weekly n of every segment series agrees between cxloop and pandas.
Target: (a) < 10 s over 1M responses.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from sqlalchemy import select, text

from bench_metrics import responses_database, timed
from cxloop.analytics import anomalies, buckets, queries, rollups, service
from cxloop.analytics.enums import GroupKey, MetricKind
from cxloop.collection.local_days import day_date
from cxloop.journeys import service as journeys
from cxloop.journeys.models import Stage
from cxloop.journeys.schemas import TouchpointCreate
from cxloop.storage.database import Database

console = Console()
AS_OF = date(2026, 4, 15)  # the data runs from 2024-05-01 to 2026-05-01


def add_csat_ces_and_touchpoints(db: Database, touchpoints: int) -> float:
    """A third of the responses answer CSAT, another third CES (from their NPS, so the series move together); each
    response is at one of `touchpoints` touchpoints of the default journey (by its id)."""
    started = time.perf_counter()
    with db.unit_of_work() as session:
        journey = journeys.ensure_default_journey(session)
        stage = session.scalars(select(Stage.id).where(Stage.journey_id == journey.id).order_by(Stage.position)).first()
        made = [
            journeys.create_touchpoint(
                session, journey_id=journey.id, data=TouchpointCreate(stage_id=stage, key=f"tp-{i}", name=f"Step {i}")
            ).id
            for i in range(touchpoints)
        ]
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE responses SET csat = 1 + nps / 3 WHERE id % 3 = 0"))
        conn.execute(text("UPDATE responses SET ces = 1 + (nps * 6) / 10 WHERE id % 3 = 1"))
        if made:
            # by id / 3, so the CSAT and the CES thirds (id % 3) spread over every touchpoint too
            conn.execute(text(f"UPDATE responses SET touchpoint_id = {made[0]} + (id / 3) % {len(made)}"))
    if not db.is_sqlite:  # fresh statistics after rewriting every row: without them the rebuild took 27 min
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE responses"))
    with db.unit_of_work() as session:
        rollups.rebuild_rollups(session)
    return time.perf_counter() - started


def scan(db: Database, *, weeks: int, days: int) -> Any:
    with db.unit_of_work() as session:
        return anomalies.scan(session, weeks=weeks, days=days, as_of=AS_OF, store=False)


def pandas_frames(db: Database) -> tuple[pd.DataFrame, pd.DataFrame]:
    with db.engine.connect() as conn:
        responses = pd.read_sql(text("SELECT customer_id, submitted_at, nps, csat, ces FROM responses"), conn)
        members = pd.read_sql(
            text(
                "SELECT m.customer_id, s.key AS segment FROM segment_members m JOIN segments s ON s.id = m.segment_id"
            ),
            conn,
        )
    instants = pd.to_datetime(responses["submitted_at"], utc=True)
    responses["week"] = (instants.dt.normalize() - pd.to_timedelta(instants.dt.day_of_week, unit="D")).dt.date
    return responses.drop(columns=["submitted_at"]), members


def with_pandas(responses: pd.DataFrame, members: pd.DataFrame) -> dict[tuple[str, str, date], int]:
    """Weekly histograms of every segment x metric with a groupby; returns n per (metric, segment, week)."""
    joined = responses.merge(members, on="customer_id")
    sizes: dict[tuple[str, str, date], int] = {}
    for metric in ("nps", "csat", "ces"):
        counts = joined.dropna(subset=[metric]).groupby(["segment", "week", metric]).size()
        for (segment, week), n in counts.groupby(level=[0, 1]).sum().items():
            sizes[(metric, str(segment), week)] = int(n)
    return sizes


def weekly_sizes(db: Database) -> dict[tuple[str, str, date], int]:
    """n per (metric, segment, week) as the scan counts it, over the weeks it reads for the last `--weeks` weeks."""
    span = anomalies.window(weeks=1, days=0, as_of=AS_OF)
    sizes: dict[tuple[str, str, date], int] = {}
    with db.unit_of_work() as session:
        names = queries.labels(session, dim="segment", ids=range(1, 10))
        for kind in MetricKind:
            hists = service.daily_histograms(
                session, metric=kind, dim="segment", first_day=span.first_day, last_day=span.last_day
            )
            for (day, segment), hist in hists.items():
                week = buckets.bucket_start(day, GroupKey.week)
                if week + 6 > span.last_day:
                    continue  # the week still running: the scan reads it through yesterday only
                key = (kind.value, names[int(segment or 0)][0], day_date(week))
                sizes[key] = sizes.get(key, 0) + sum(hist.values())
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database is created there)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--touchpoints", type=int, default=12)
    args = parser.parse_args()
    rollups.configure(["UTC"])

    def more(db: Database) -> dict[str, float]:
        return {"csat + ces answers, touchpoints, rollups again": add_csat_ces_and_touchpoints(db, args.touchpoints)}

    with responses_database(args, more) as db:
        daily, daily_best, report = timed(lambda: scan(db, weeks=1, days=1), args.repeat)
        history, history_best, long_report = timed(lambda: scan(db, weeks=args.weeks, days=0), args.repeat)
        rollups.configure([])
        raw, raw_best, raw_report = timed(lambda: scan(db, weeks=1, days=1), max(1, args.repeat // 2))
        rollups.configure(["UTC"])
        started = time.perf_counter()
        responses, members = pandas_frames(db)
        loading = time.perf_counter() - started
        panda, panda_best, sizes = timed(lambda: with_pandas(responses, members), args.repeat)
        ours = weekly_sizes(db)
        db.dispose()

    agree = ours == {key: n for key, n in sizes.items() if key in ours}
    same_raw = [d.series for d in raw_report.discoveries] == [d.series for d in report.discoveries]
    table = Table(title=f"anomaly scan, {args.rows:,} responses, {args.backend}")
    for column in ("what", "median s", "best s", "series", "tests", "found"):
        table.add_column(column, justify="right" if column != "what" else "left")
    table.add_row(
        "(a) daily run, rollups",
        f"{daily:.2f}",
        f"{daily_best:.2f}",
        str(report.series),
        str(report.tested),
        str(len(report.discoveries)),
    )
    table.add_row(
        f"(b) last {args.weeks} weeks, rollups",
        f"{history:.2f}",
        f"{history_best:.2f}",
        str(long_report.series),
        str(long_report.tested),
        str(len(long_report.discoveries)),
    )
    table.add_row(
        "(c) daily run, raw rows",
        f"{raw:.2f}",
        f"{raw_best:.2f}",
        str(raw_report.series),
        str(raw_report.tested),
        str(len(raw_report.discoveries)),
    )
    table.add_row("(d) pandas groupby (histograms only)", f"{panda:.2f}", f"{panda_best:.2f}", "", "", "")
    console.print(table)
    console.print(f"pandas: loading the rows took {loading:.1f} s; {len(sizes)} (metric, segment, week) groups")
    console.print(
        f"weekly n of the {len(ours)} segment x metric x week groups the daily run reads agree with pandas: {agree}; "
        f"the raw path finds the same as the rollups: {same_raw}"
    )
    console.print(f"target (a) < 10 s: {'met' if daily < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
