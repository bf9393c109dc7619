"""Alert rules: how long the worker's evaluation of one stored batch takes, and the dry run over many responses.

    python bench/bench_alerts.py --responses 20000                          # SQLite (the embedded default)
    python bench/bench_alerts.py --responses 20000 --backend postgresql
    python bench/bench_alerts.py --responses 20000 --no-cases              # alerts alone, no case opened

Stores N responses (one customer each, NPS 0-10 at random, one in ten comments mentioning a refund) in batches of
1,000 without running the relay, adds three enabled rules (NPS <= 6 -> open a high-priority case and notify;
comment contains "refund" -> tag and notify; NPS <= 3 on a customer of a segment -> notify), then times
`alerts.fire` on each batch exactly as the `response.received` handler runs it (one transaction per batch: alerts,
cases, `alert.fired`), and `alerts.try_rule` of the first rule over the last 30 days. The alerts made are compared
with a plain recount over the generated answers: they must be identical, and a second evaluation must make none.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from sqlalchemy import func, select

from cxloop.alerts import service as alerts
from cxloop.alerts.fields import Source
from cxloop.alerts.models import Alert
from cxloop.alerts.schemas import RuleCreate
from cxloop.collection import service as collection
from cxloop.collection.schemas import ResponseCreate
from cxloop.customers import service as customers
from cxloop.customers.schemas import SegmentCreate
from cxloop.storage.database import Database
from databases import survey_database

BATCH = 1_000
RULES = [
    {
        "name": "detractors",
        "conditions": [{"field": "nps", "op": "<=", "value": 6}],
        "actions": [{"kind": "open_case", "priority": "high"}, {"kind": "notify"}],
    },
    {
        "name": "refunds",
        "conditions": [{"field": "comment", "op": "contains", "value": "refund"}],
        "actions": [{"kind": "tag", "tags": ["refund"]}, {"kind": "notify"}],
    },
    {
        "name": "angry vips",
        "conditions": [{"field": "nps", "op": "<=", "value": 3}, {"field": "segment", "op": "=", "value": "vip"}],
        "actions": [{"kind": "notify"}],
    },
]


def store(db: Database, count: int, seed: int = 7) -> tuple[list[list[int]], int]:
    """The ids of each stored batch, and how many alerts the rules must make."""
    rnd = random.Random(seed)
    batches: list[list[int]] = []
    expected = 0
    for start in range(0, count, BATCH):
        items = []
        for n in range(start, min(start + BATCH, count)):
            nps = rnd.randrange(11)
            refund = rnd.random() < 0.1
            vip = n % 10 == 0
            expected += (nps <= 6) + refund + (nps <= 3 and vip)
            items.append(
                ResponseCreate(
                    survey="relationship-nps",
                    customer_external_id=f"{'vip' if vip else 'c'}-{n}",
                    nps=nps,
                    comment="I want a REFUND" if refund else "fine",
                )
            )
        with db.unit_of_work(write=True) as session:
            batches.append(collection.record_responses(session, items=items).ids)
    return batches, expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--no-cases", action="store_true", help="drop the open_case action (alerts alone)")
    args = parser.parse_args()
    with survey_database(args.backend) as url:
        db = Database(url)
        started = time.perf_counter()
        batches, expected = store(db, args.responses)
        print(f"stored {args.responses:,} responses in {time.perf_counter() - started:.1f} s ({args.backend})")
        with db.unit_of_work(write=True) as session:
            customers.create_segment(
                session, data=SegmentCreate(key="vip", name="VIP", filter="external_id contains 'vip-'")
            )
            for rule in RULES:
                actions = [a for a in rule["actions"] if not (args.no_cases and a["kind"] == "open_case")]
                alerts.create_rule(
                    session, data=RuleCreate.model_validate(rule | {"enabled": True, "actions": actions})
                )
        seconds = []
        for ids in batches:
            began = time.perf_counter()
            with db.unit_of_work(write=True) as session:
                alerts.fire(session, source=Source.response, ids=ids)
            seconds.append(time.perf_counter() - began)
        with db.unit_of_work() as session:
            made = session.scalar(select(func.count()).select_from(Alert)) or 0
        assert made == expected, f"{made} alerts, expected {expected}"
        with db.unit_of_work(write=True) as session:
            assert alerts.fire(session, source=Source.response, ids=batches[0]) == []
        total = sum(seconds)
        print(
            f"evaluated {len(batches)} batches of {BATCH:,}: {total:.1f} s, {args.responses / total:,.0f} responses/s, "
            f"per batch median {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms; "
            f"{made:,} alerts (as recounted)"
        )
        with db.unit_of_work() as session:
            draft = alerts.draft_of(alerts.list_rules(session)[0])
            began = time.perf_counter()
            tried = alerts.try_rule(session, draft=draft, days=30)
            print(
                f"try over 30 days: {tried.examined:,} examined, {tried.matches:,} matches "
                f"in {time.perf_counter() - began:.2f} s"
            )
        db.dispose()


if __name__ == "__main__":
    main()
