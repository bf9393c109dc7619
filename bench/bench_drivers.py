"""Key-driver analysis over 1M responses: cxloop's grouped SQL + weighted least squares against a naive pipeline
(pandas reads every response and its themes, segments, plan and tickets, then statsmodels OLS on 1M rows).

    python bench/bench_drivers.py [--rows 1000000] [--customers 20000] [--backend sqlite|postgresql]
                                  [--url postgresql+psycopg://...] [--repeat 3] [--themes 20]

Builds its data with bench_metrics.build (`--rows` NPS responses over 24 months, 4 overlapping segments, the default
journey's stages), then in SQL: touchpoints and channels spread over the responses, half of them with a comment,
`--themes` themes (theme t on one in t + 5 commented responses, about one theme per comment), 300 accounts on
3 plans, and a ticket_solved event for a third of the customers (random wait, transfers, reopens). Theme 1 is
planted: its responses score 3 points lower on 0-10. It times
  (a) `analytics.drivers.service.analyse(metric="nps")` (read, fit, held-out fit, Shapley R², sentences);
  (b) the same for one segment;
  (c) the naive pipeline: pandas loads the rows (timed on its own), builds the same 0/1 columns per response, and
      fits statsmodels OLS with HC1 errors on all of them;
and checks that (a) and (c) give the same coefficients and intervals for every driver, and that theme 1 comes first.
Target: (a) < 5 s over 1M responses.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text

from bench_metrics import START, responses_database, timed
from cxloop.analytics.drivers import queries
from cxloop.analytics.drivers import service as key_drivers
from cxloop.analytics.drivers.schemas import DriverReport
from cxloop.migrations.metadata import metadata
from cxloop.storage.database import Database

console = Console()
PLANS = ("starter", "growth", "enterprise")
CHANNELS = ("email", "web", "sms")


def enrich(db: Database, *, customers: int, themes: int, seed: int) -> float:
    """Touchpoints, channels, comments, themes (theme 1 planted), plans and tickets; returns the seconds taken."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with db.engine.begin() as conn:
        touchpoints = [row[0] for row in conn.execute(text("SELECT id FROM touchpoints ORDER BY id"))][:6]
        touchpoint = " ".join(f"WHEN {i} THEN {tp}" for i, tp in enumerate(touchpoints))
        channel = " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(CHANNELS))
        conn.execute(
            text(
                f"UPDATE responses SET touchpoint_id = CASE (id * 2654435761) % 1000003 % {len(touchpoints)} "
                f"{touchpoint} END, channel = CASE (id * 40503) % 65521 % 3 {channel} END, "
                "comment = CASE WHEN (id * 7919) % 10007 % 2 = 0 THEN 'a comment' END"
            )
        )
        conn.execute(
            insert(metadata.tables["text_themes"]),
            [
                {
                    "id": t,
                    "name": f"theme {t}",
                    "kind": "rule",
                    "key_phrases": [],
                    "phrases": [],
                    "profile": {},
                    "user_named": True,
                    "pinned": False,
                    "hidden": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for t in range(1, themes + 1)
            ],
        )
        for t in range(1, themes + 1):
            conn.execute(
                text(
                    "INSERT INTO text_theme_assignments (item_kind, item_id, theme_id, score, is_primary, "
                    f"assigned_at) SELECT 'response', id, {t}, 1.0, false, :now FROM responses "
                    f"WHERE comment IS NOT NULL AND (id * {104729 + 2 * t}) % 1000033 % {t + 5} = 0"
                ),
                {"now": now},
            )
        conn.execute(
            text(
                "UPDATE responses SET nps = CASE WHEN nps >= 3 THEN nps - 3 ELSE 0 END WHERE id IN "
                "(SELECT item_id FROM text_theme_assignments WHERE theme_id = 1)"
            )
        )
        conn.execute(
            insert(metadata.tables["accounts"]),
            [
                {
                    "id": a,
                    "external_id": f"a{a}",
                    "name": f"Account {a}",
                    "plan": PLANS[a % 3],
                    "attributes": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for a in range(1, 301)
            ],
        )
        conn.execute(text("UPDATE customers SET account_id = 1 + id % 300"))
        span = int((START.replace(year=START.year + 2) - START).total_seconds())
        events = [
            {
                "customer_id": c,
                "name": "ticket_solved",
                "properties": {
                    "wait_minutes": rng.choice((10, 30, 90, 200, 400)),
                    "transfers": rng.choice((0, 0, 0, 1)),
                    "reopens": rng.choice((0, 0, 0, 0, 1)),
                },
                "occurred_at": START + timedelta(seconds=rng.randrange(span)),
                "received_at": now,
                "source": "bench",
                "external_id": f"t{c}-{k}",
            }
            for c in range(1, customers + 1, 3)
            for k in range(rng.choice((1, 2, 3)))
        ]
        conn.execute(insert(metadata.tables["events"]), events)
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def analyse(db: Database, segment: str | None = None) -> DriverReport:
    with db.unit_of_work() as session:
        return key_drivers.analyse(session, metric="nps", segment=segment)


def cpu_seconds(fn: Any) -> float:
    """This process's CPU time for one call: on SQLite (in process) the whole cost, whatever else the machine runs."""
    started = time.process_time()
    fn()
    return time.process_time() - started


def load_rows(db: Database) -> dict[str, pd.DataFrame]:
    """Every response and what the naive pipeline joins to it, one row per item."""
    window = queries.TICKET_WINDOW.days
    with db.engine.connect() as conn:
        read = lambda sql: pd.read_sql(text(sql), conn)  # noqa: E731
        return {
            "responses": read(
                "SELECT r.id, r.customer_id, r.nps, r.touchpoint_id, r.stage_id, r.channel, r.submitted_at, "
                "CASE WHEN length(coalesce(r.comment, '')) > 0 THEN 1 ELSE 0 END AS commented, a.plan "
                "FROM responses r LEFT JOIN customers c ON c.id = r.customer_id "
                "LEFT JOIN accounts a ON a.id = c.account_id WHERE r.nps BETWEEN 0 AND 10"
            ),
            "themes": read("SELECT item_id, theme_id FROM text_theme_assignments WHERE item_kind = 'response'"),
            "members": read("SELECT customer_id, s.key FROM segment_members m JOIN segments s ON s.id = m.segment_id"),
            "tickets": read(
                "SELECT customer_id, occurred_at, properties FROM events WHERE name IN ('ticket_solved', 'chat_ended')"
            ),
        } | {"window": pd.DataFrame({"days": [window]})}


def naive(frames: dict[str, pd.DataFrame]) -> dict[str, tuple[float, float]]:
    """The same design per response with pandas, fitted with statsmodels OLS (HC1): driver key -> (coef, se)."""
    r = frames["responses"].copy()
    y = np.where(r.nps >= 9, 100.0, np.where(r.nps <= 6, -100.0, 0.0))
    columns: dict[str, Any] = {"comment:any": r.commented.to_numpy()}
    themes = pd.crosstab(frames["themes"].item_id, frames["themes"].theme_id).clip(upper=1)
    themes = themes.reindex(r.id, fill_value=0)
    for theme in themes.columns:
        columns[f"theme:{theme}"] = themes[theme].to_numpy()
    for dim, name in (("touchpoint", "touchpoint_id"), ("stage", "stage_id"), ("channel", "channel"), ("plan", "plan")):
        sizes = r[name].value_counts()
        reference = min(sizes.index, key=lambda v: (-sizes[v], str(v)))
        for value in sizes.index:
            if value != reference:
                columns[f"{dim}:{value}"] = (r[name] == value).to_numpy().astype(int)
    members = pd.crosstab(frames["members"].customer_id, frames["members"].key).clip(upper=1)
    members = members.reindex(r.customer_id, fill_value=0)
    for key in members.columns:
        columns[f"segment:{key}"] = members[key].to_numpy()
    tickets = frames["tickets"]
    properties = pd.json_normalize(tickets.properties.map(lambda p: p if isinstance(p, dict) else json.loads(p)))
    tickets = pd.concat([tickets[["customer_id", "occurred_at"]], properties], axis=1)
    tickets["occurred_at"] = pd.to_datetime(tickets.occurred_at, utc=True, format="mixed")
    joined = r[["id", "customer_id", "submitted_at"]].merge(tickets, on="customer_id")
    joined["submitted_at"] = pd.to_datetime(joined.submitted_at, utc=True, format="mixed")
    days = int(frames["window"].days[0])
    inside = joined[
        (joined.occurred_at <= joined.submitted_at)
        & (joined.occurred_at >= joined.submitted_at.dt.floor("s") - pd.Timedelta(days=days))
    ]
    flags = (
        inside.assign(
            ticket=1,
            long_wait=(inside.wait_minutes > queries.LONG_WAIT_MINUTES).astype(int),
            transferred=(inside.transfers > 0).astype(int),
            reopened=(inside.reopens > 0).astype(int),
        )
        .groupby("id")[["ticket", "long_wait", "transferred", "reopened"]]
        .max()
    )
    flags = flags.reindex(r.id, fill_value=0)
    for flag in flags.columns:
        columns[f"helpdesk:{flag}"] = flags[flag].to_numpy()
    design = sm.add_constant(pd.DataFrame(columns).astype(float))
    model = sm.OLS(y, design).fit(cov_type="HC1")
    return {key: (float(model.params[key]), float(model.bse[key])) for key in columns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL server URL (a throwaway database is created there)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--themes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    def enriched(db: Database) -> dict[str, float]:
        seconds = enrich(db, customers=args.customers, themes=args.themes, seed=args.seed)
        return {"touchpoints, comments, themes, plans, tickets": seconds}

    with responses_database(args, enriched) as db:
        everyone, everyone_best, report = timed(lambda: analyse(db), args.repeat)
        everyone_cpu = cpu_seconds(lambda: analyse(db))
        one, one_best, segment_report = timed(lambda: analyse(db, "smb"), args.repeat)
        one_cpu = cpu_seconds(lambda: analyse(db, "smb"))
        started = time.perf_counter()
        frames = load_rows(db)
        loading = time.perf_counter() - started
        fitting, fitting_best, reference = timed(lambda: naive(frames), max(1, args.repeat // 2))
        fitting_cpu = cpu_seconds(lambda: naive(frames))
        db.dispose()

    ours = {d.key: d for d in report.drivers}
    common = [key for key in ours if key in reference]
    coefficient_gap = max(abs(ours[k].effect - reference[k][0]) for k in common)
    interval_gap = max(
        abs((ours[k].effect_ci_high - ours[k].effect_ci_low) / (2 * 1.959963984540054) - reference[k][1])
        for k in common
    )
    table = Table(title=f"key drivers, {args.rows:,} responses, {args.backend}")
    for column in ("what", "median s", "best s", "cpu s", "drivers"):
        table.add_column(column, justify="right" if column != "what" else "left")
    table.add_row(
        "(a) cxloop, all customers",
        f"{everyone:.2f}",
        f"{everyone_best:.2f}",
        f"{everyone_cpu:.2f}",
        str(len(report.drivers)),
    )
    table.add_row(
        "(b) cxloop, segment smb", f"{one:.2f}", f"{one_best:.2f}", f"{one_cpu:.2f}", str(len(segment_report.drivers))
    )
    table.add_row(
        "(c) pandas + statsmodels OLS (rows loaded)",
        f"{fitting:.2f}",
        f"{fitting_best:.2f}",
        f"{fitting_cpu:.2f}",
        str(len(reference)),
    )
    console.print(table)
    console.print(f"(c) loading the rows into pandas took {loading:.1f} s more")
    console.print(
        f"{len(common)} drivers in both; largest coefficient difference {coefficient_gap:.2e}, largest standard "
        f"error difference {interval_gap:.2e} (NPS points)"
    )
    fit = report.fit
    assert fit is not None
    console.print(
        f"top driver: {report.drivers[0].sentence}\nheld-out R² {fit.r2_held_out:.4f} (n = {fit.n_held_out:,}), "
        f"category accuracy {fit.accuracy_held_out:.3f} vs {fit.baseline_accuracy:.3f} guessing the commonest"
    )
    console.print(f"target (a) < 5 s: {'met' if everyone < 5 else 'NOT met'} (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
