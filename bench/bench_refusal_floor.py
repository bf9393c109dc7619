"""The machine's floor for refusing requests: how fast 2 server processes that refuse EVERY request answer, at the
offered rates of bench_overload.py, with the load generator on the same cores.

    python bench/bench_refusal_floor.py --rates 2000 4000 6000 9333 --duration 8

The server is uvicorn (uvloop, httptools, as `cxloop serve` runs it) with `--workers 2` serving
bench/refusal_floor_app.py: cxloop's load-shedding middleware with its one place taken, so each request gets the
same 503 body and `Retry-After` as an overloaded cxloop server, and nothing else runs (no database, no routing, no
accepted request competing for the CPU). The client is bench_overload.py's open loop (latency from when each
request was due). Whatever refusal p99 this prints at a rate is a lower bound for `cxloop serve` at that rate on
this machine: the real server also parses, routes and stores the requests it accepts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench_ingest_api import _free_port
from bench_overload import Run, open_loop


@contextlib.contextmanager
def refusing_server(workers: int) -> Iterator[str]:
    port = _free_port()
    app_dir = str(Path(__file__).parent)
    options = ["--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    command = [sys.executable, "-m", "uvicorn", "refusal_floor_app:app", "--app-dir", app_dir, *options]
    process = subprocess.Popen(command, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/", timeout=1).status_code == 503:
                    break
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


async def _in_process_cost(count: int = 20_000) -> float:
    """Microseconds the shedding middleware itself takes to refuse one request, called directly (no socket, no
    HTTP parsing): the part of a refusal's latency that is cxloop's code."""
    from refusal_floor_app import app

    scope = {"type": "http", "path": "/api/v1/responses", "method": "POST", "headers": [], "query_string": b""}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: object) -> None:
        return None

    started = time.perf_counter()
    for _ in range(count):
        await app(scope, receive, send)  # type: ignore[arg-type]
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=float, nargs="+", default=[2000, 4000, 6000, 9333])
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-connections", type=int, default=512)
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    print(f"the shedding middleware alone: {asyncio.run(_in_process_cost()):.1f} us per refusal, in process")
    print(f"every request refused (503) by {args.workers} uvicorn processes; open loop from one client process")
    for rate in args.rates:
        with refusing_server(args.workers) as base:
            run: Run = asyncio.run(open_loop(base, "unused", rate, args.duration, args.max_connections))
        refused = run.count(503)
        print(
            f"  offered {rate:,.0f}/s: answered {refused / run.seconds:,.0f}/s  {run.percentiles(503)}"
            f"  unanswered {dict(run.unanswered) or 0}"
        )


if __name__ == "__main__":
    main()
