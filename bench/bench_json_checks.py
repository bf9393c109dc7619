"""What the hostile-JSON check (core/json_checks.py) costs an ingestion request, next to decoding its body.

    python bench/bench_json_checks.py --repeat 200

Bodies: one response as a widget or webhook sends it, and a batch of 1,000 (POST /api/v1/responses), decoded by
orjson as the route does. For each: orjson.loads, then `problems` with the text (the route's call: a scan for a
NUL escape and the depth level by level), then without it (the full walk that names the fields; it runs only when
something is wrong). The median of `--repeat` runs, in microseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from cxloop.core.json_checks import problems

RESPONSE = {
    "survey": "relationship-nps",
    "customer_external_id": "u-42",
    "channel": "email",
    "touchpoint": "relationship",
    "answers": {"nps": 4, "improve": "Support took three days"},
    "submitted_at": "2024-05-01T09:30:00Z",
    "locale": "en",
    "metadata": {"ticket": 981, "tags": ["billing", "refund"]},
}


def _median_us(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    bodies = {
        "one response": orjson.dumps(RESPONSE),
        "batch of 1,000": orjson.dumps({"items": [{**RESPONSE, "idempotency_key": f"k{n}"} for n in range(1000)]}),
    }
    print(f"{'body':<16} {'bytes':>9} {'orjson.loads':>13} {'check (route)':>14} {'full walk':>10}")
    for name, raw in bodies.items():
        value = orjson.loads(raw)
        assert problems(value, raw=raw) == [] == problems(value)
        loads = _median_us(lambda raw=raw: orjson.loads(raw), args.repeat)
        routed = _median_us(lambda value=value, raw=raw: problems(value, raw=raw), args.repeat)
        walked = _median_us(lambda value=value: problems(value), args.repeat)
        print(f"{name:<16} {len(raw):>9,} {loads:>11.1f}us {routed:>12.1f}us {walked:>8.1f}us")


if __name__ == "__main__":
    main()
