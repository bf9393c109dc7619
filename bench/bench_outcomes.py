"""CX against outcomes, operations and agents (analytics/outcomes/) over 1M responses, against pandas.

    python bench/bench_outcomes.py [--rows 1000000] [--customers 100000] [--tickets 300000]
                                   [--backend sqlite|postgresql] [--url postgresql+psycopg://...] [--repeat 3]

Builds its data with bench_metrics.build (`--rows` NPS responses over 24 months, 4 overlapping segments), gives a
third of the responses a CSAT answer, then adds per customer a revenue and a lifetime-value outcome, churn for one
in ten (dated inside the window), and `--tickets` ticket_solved events (wait_minutes, transfers, agent, team). It
times, with the data as it stands:
  (a) `cxloop analyze outcomes` (churn by NPS band in every segment, revenue at risk, lifetime value);
  (b) the same counts with pandas (responses, members and outcomes loaded into memory first, loading timed apart),
      and checks that both give the same customers and churned per segment and band;
  (c) `cxloop analyze operations --event ticket_solved --measure wait_minutes` (csat);
  (d) `cxloop analyze agents`.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text

from bench_metrics import responses_database, timed
from cxloop.analytics import rollups
from cxloop.analytics.enums import MetricKind
from cxloop.analytics.outcomes import agents, bands, business, operations
from cxloop.customers.models import Event, Outcome
from cxloop.storage.database import Database

console = Console()
END = date(2026, 5, 1)  # the responses run from 2024-05-01 to 2026-05-01
WINDOW = 180
START = END - timedelta(days=WINDOW - 1)


def add_outcomes_and_tickets(db: Database, *, customers: int, tickets: int, seed: int) -> float:
    rng = random.Random(seed)
    started = time.perf_counter()
    now = datetime(2026, 5, 1, tzinfo=UTC)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE responses SET csat = 1 + nps / 3 WHERE id % 3 = 0"))
        outcomes: list[dict[str, Any]] = []
        for customer in range(1, customers + 1):
            for kind, value, day in (
                ("revenue", 100 + customer % 50, date(2025, 6, 1)),
                ("lifetime_value", 1000 + customer % 300, date(2026, 4, 1)),
            ):
                outcomes.append(
                    {
                        "customer_id": customer,
                        "kind": kind,
                        "value": value,
                        "occurred_on": day,
                        "note": "",
                        "source": "bench",
                        "created_at": now,
                    }
                )
            if rng.random() < 0.1:
                day = START + timedelta(days=rng.randrange(WINDOW))
                outcomes.append(
                    {
                        "customer_id": customer,
                        "kind": "churned",
                        "value": None,
                        "occurred_on": day,
                        "note": "",
                        "source": "bench",
                        "created_at": now,
                    }
                )
        conn.execute(insert(Outcome), outcomes)
        span = 730 * 86_400
        first = datetime(2024, 5, 1, tzinfo=UTC)
        events = [
            {
                "customer_id": rng.randint(1, customers),
                "name": "ticket_solved",
                "properties": {
                    "ticket_id": i,
                    "wait_minutes": rng.randint(1, 600),
                    "transfers": rng.randint(0, 3),
                    "agent": f"agent {i % 40}",
                    "team": f"team {i % 5}",
                },
                "occurred_at": first + timedelta(seconds=rng.randrange(span)),
                "received_at": now,
                "source": "bench",
                "external_id": f"t{i}",
            }
            for i in range(tickets)
        ]
        for start in range(0, len(events), 50_000):
            conn.execute(insert(Event), events[start : start + 50_000])
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def ours(db: Database) -> Any:
    with db.unit_of_work() as session:
        return business.analyse(session, metric="nps", window_days=WINDOW, end=END)


def frames(db: Database) -> tuple[pd.DataFrame, ...]:
    with db.engine.connect() as conn:
        responses = pd.read_sql(
            text("SELECT id, customer_id, submitted_at, nps FROM responses WHERE nps IS NOT NULL"), conn
        )
        members = pd.read_sql(
            text("SELECT m.customer_id, s.name AS scope FROM segment_members m JOIN segments s ON s.id = m.segment_id"),
            conn,
        )
        churned = pd.read_sql(text("SELECT customer_id, occurred_on FROM outcomes WHERE kind = 'churned'"), conn)
    responses["submitted_at"] = pd.to_datetime(responses["submitted_at"], utc=True)
    churned["occurred_on"] = pd.to_datetime(churned["occurred_on"]).dt.date
    return responses, members, churned


def with_pandas(
    responses: pd.DataFrame, members: pd.DataFrame, churned: pd.DataFrame
) -> dict[tuple[str, str], tuple[int, int]]:
    before = pd.Timestamp(START, tz="UTC")
    since = before - pd.Timedelta(days=business.SCORE_LOOKBACK_DAYS)
    scored = responses[(responses.submitted_at >= since) & (responses.submitted_at < before)]
    latest = scored.sort_values(["submitted_at", "id"]).groupby("customer_id").tail(1)
    gone = set(churned[churned.occurred_on < START].customer_id)
    inside = set(churned[(churned.occurred_on >= START) & (churned.occurred_on <= END)].customer_id)
    latest = latest[~latest.customer_id.isin(gone)].copy()
    latest["band"] = latest.nps.map(lambda s: bands.band_of(MetricKind.nps, int(s)))
    latest["churned"] = latest.customer_id.isin(inside)
    everyone = latest.assign(scope=business.ALL)
    joined = pd.concat([everyone, latest.merge(members, on="customer_id")])
    counts = joined.groupby(["scope", "band"]).agg(n=("customer_id", "size"), churned=("churned", "sum"))
    return {(str(s), str(b)): (int(r.n), int(r.churned)) for (s, b), r in counts.iterrows()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database is created there)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rollups.configure(["UTC"])

    def with_outcomes(db: Database) -> dict[str, float]:
        seconds = add_outcomes_and_tickets(db, customers=args.customers, tickets=args.tickets, seed=args.seed)
        return {"csat, outcomes, tickets": seconds}

    with responses_database(args, with_outcomes) as db:
        outcome, outcome_best, result = timed(lambda: ours(db), args.repeat)
        started = time.perf_counter()
        loaded = frames(db)
        loading = time.perf_counter() - started
        panda, panda_best, sizes = timed(lambda: with_pandas(*loaded), args.repeat)

        def ops() -> Any:
            with db.unit_of_work() as session:
                return operations.analyse(session, metric="csat", event="ticket_solved", measure="wait_minutes")

        def staff() -> Any:
            with db.unit_of_work() as session:
                return agents.analyse(session)

        op, op_best, op_result = timed(ops, max(1, args.repeat // 2))
        ag, ag_best, ag_result = timed(staff, max(1, args.repeat // 2))
        db.dispose()
    mine = {
        (row.scope, band.band): (band.churn.n, band.churn.events)
        for row in result.churn
        for band in row.bands
        if band.churn.n
    }
    scale = f"{args.rows:,} responses, {args.customers:,} customers, {args.tickets:,} tickets"
    table = Table(title=f"outcomes, operations and agents: {scale}, {args.backend}")
    for column in ("what", "median s", "best s", "answer"):
        table.add_column(column, justify="left" if column in ("what", "answer") else "right")
    table.add_row(
        "(a) analyze outcomes",
        f"{outcome:.2f}",
        f"{outcome_best:.2f}",
        f"{result.customers:,} customers, {result.churned:,} churned, {len(result.churn)} scopes",
    )
    table.add_row(
        "(b) pandas, same counts",
        f"{panda:.2f}",
        f"{panda_best:.2f}",
        f"+ {loading:.1f} s loading; same counts: {mine == sizes}",
    )
    measure = op_result.measures[0]
    table.add_row(
        "(c) analyze operations (one measure)", f"{op:.2f}", f"{op_best:.2f}", f"{measure.pairs:,} linked responses"
    )
    table.add_row(
        "(d) analyze agents",
        f"{ag:.2f}",
        f"{ag_best:.2f}",
        f"{len(ag_result.agents)} agents, {len(ag_result.teams)} teams",
    )
    console.print(table)


if __name__ == "__main__":
    main()
