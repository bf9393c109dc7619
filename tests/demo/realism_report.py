"""Print the realism figures of a demo world (docs/demo.md "How realistic it is"); not a test.

    .venv/bin/python -m tests.demo.realism_report [--seed 7] [--customers 5000] [--today 2026-12-06]

It simulates the world (no database) with the default contact policy, which is what `cxloop demo` finds in an
empty database.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from datetime import date

from cxloop.demo.period import DemoPeriod
from cxloop.demo.realism import measure
from cxloop.demo.world import simulate_world
from cxloop.governance.models import ContactPolicy
from cxloop.governance.policy import DEFAULT_KEY, DEFAULTS


def default_policy() -> ContactPolicy:
    """The policy `governance.policy.current_policy` creates in an empty database, without a database."""
    return ContactPolicy(key=DEFAULT_KEY, priority=0, **DEFAULTS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 12, 6))
    args = parser.parse_args()
    started = time.process_time()
    world = simulate_world(
        args.seed, customers=args.customers, period=DemoPeriod.ending(args.today, 12), policy=default_policy()
    )
    seconds = time.process_time() - started
    figures = {"simulation_cpu_seconds": round(seconds, 1), **asdict(measure(world))}
    sys.stdout.write(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
