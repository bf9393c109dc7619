"""What a disk sync per commit costs on SQLite: CXLOOP_SQLITE_SYNCHRONOUS=normal vs full.

    python bench/bench_sqlite_synchronous.py --commits 2000

The worst case for `full`: one small row per transaction, one writer, nothing grouped (the API's writer thread
groups concurrent single POSTs into one transaction, so under load a sync is shared by many responses; the API
figures are bench_ingest_api.py --sqlite-synchronous). Prints commits/s and p50/p99 per commit for each setting,
alternating the settings in rounds so a noisy neighbour hurts both alike.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from cxloop.storage.database import Database, SqliteSynchronous

SETTINGS: tuple[SqliteSynchronous, ...] = ("normal", "full")


def run(folder: Path, synchronous: SqliteSynchronous, commits: int) -> list[float]:
    """Seconds per commit of `commits` one-row transactions on a new database file."""
    db = Database(f"sqlite:///{folder / f'{synchronous}-{time.monotonic_ns()}.db'}", sqlite_synchronous=synchronous)
    with db.unit_of_work(write=True) as session:
        session.execute(text("CREATE TABLE answers (id INTEGER PRIMARY KEY, score INTEGER, comment TEXT)"))
    took = []
    for i in range(commits):
        start = time.perf_counter()
        with db.unit_of_work(write=True) as session:
            session.execute(text("INSERT INTO answers (score, comment) VALUES (:s, 'fine')"), {"s": i % 11})
        took.append(time.perf_counter() - start)
    db.dispose()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=2000, help="per setting and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where the files go (default: a temporary directory)")
    args = parser.parse_args()
    timings: dict[str, list[float]] = {s: [] for s in SETTINGS}
    with tempfile.TemporaryDirectory(prefix="cxloop-bench-", dir=args.dir) as folder:
        for _ in range(args.rounds):
            for synchronous in SETTINGS:
                timings[synchronous] += run(Path(folder), synchronous, args.commits)
    print(f"one-row commits on SQLite (WAL), {args.rounds} rounds of {args.commits:,}")
    for synchronous, took in timings.items():
        cuts = statistics.quantiles(took, n=100)
        print(
            f"  synchronous={synchronous:<7} {len(took) / sum(took):>8,.0f} commits/s  "
            f"p50 {cuts[49] * 1000:.2f} ms  p99 {cuts[98] * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
