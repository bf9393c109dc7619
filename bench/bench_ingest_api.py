"""How fast `POST /api/v1/responses` ingests: single responses and batches of 1,000, load from wrk.

    python bench/bench_ingest_api.py --duration 10 --connections 32
    python bench/bench_ingest_api.py --backend postgresql --duration 10 --connections 32
    python bench/bench_ingest_api.py --sqlite-synchronous normal   # CXLOOP_SQLITE_SYNCHRONOUS (default full)

Builds a fresh database (a live relationship NPS survey and an agent API key), starts `cxloop serve --workers 2` on
it, then:
- single responses: `wrk` with a Lua script that POSTs one response per request (random score, customer and a
  unique Idempotency-Key), several connections; prints requests/s and p50/p99 latency from wrk's --latency table.
  wrk is not a Python package: install it with `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`.
- batches: wrk POSTs `{"items": [1,000 responses]}` (a body built once) over `--clients` connections for
  `--duration` seconds; prints rows/s and p50/p99 per batch. `--python-client` adds the same load from Python
  threads (httpx), which spends a good share of the two cores on encoding and sending.
PostgreSQL comes from CXLOOP_BENCH_POSTGRES_URL (default: the test server); its throwaway database is dropped after.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.storage.database import Database
from databases import survey_database

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
local counter = 0
local prefix = "%(prefix)s-" .. tostring(math.random(1, 1000000000)) .. "-"
request = function()
  counter = counter + 1
  local nps = math.random(0, 10)
  local body = string.format(
    '{"survey":"relationship-nps","nps":%%d,"customer_external_id":"c-%%d","channel":"web","touchpoint":"relationship"}',
    nps, math.random(1, 5000))
  wrk.headers["Idempotency-Key"] = prefix .. counter
  return wrk.format(nil, "/api/v1/responses", nil, body)
end
"""


@contextmanager
def fresh_database(backend: str) -> Iterator[tuple[str, str]]:
    """(database URL, agent API key) on a new schema with a live relationship NPS survey."""
    with survey_database(backend) as url:
        db = Database(url)
        with db.unit_of_work() as session:
            _, key = access.create_api_key(session, name="bench", role=Role.agent)
        db.dispose()
        yield url, key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(url: str, workers: int, *options: str, sqlite_synchronous: str = "full") -> Iterator[str]:
    """`cxloop serve [OPTIONS]` on a free port; yields its base URL once /api/v1/health answers."""
    port = _free_port()
    cxloop = Path(sys.executable).with_name("cxloop")
    env = {
        **os.environ,
        "CXLOOP_DATABASE_URL": url,
        "CXLOOP_ENVIRONMENT": "test",  # a throwaway database with the development secret
        "CXLOOP_LOG_LEVEL": "WARNING",
        "CXLOOP_SQLITE_SYNCHRONOUS": sqlite_synchronous,
    }
    command = [str(cxloop), "serve", "--port", str(port), "--workers", str(workers), *options]
    # The server's log goes to a file: a pipe nobody reads would fill up and stall the server mid-benchmark.
    log = tempfile.NamedTemporaryFile(prefix="cxloop-serve-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # two processes importing the app take long on a busy machine
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"cxloop serve did not start: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        errors = Path(log.name).read_text().count("Traceback")
        if errors:
            print(f"  the server logged {errors} tracebacks: see {log.name}")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


BATCH_SCRIPT = """
local file = io.open("%(body)s", "r")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
wrk.path = "/api/v1/responses"
"""


def run_wrk(base: str, key: str, duration: int, connections: int, threads: int, workdir: Path) -> dict[str, float]:
    """Single-response POSTs with wrk; requests/s, p50/p99 in ms, and the count of non-2xx answers."""
    script = workdir / "post_response.lua"
    script.write_text(WRK_SCRIPT % {"key": key, "prefix": uuid.uuid4().hex[:8]})
    return _wrk(script, base, duration, connections, threads)


def run_wrk_batches(base: str, key: str, duration: int, size: int, connections: int, workdir: Path) -> dict[str, float]:
    """Batches of `size` with wrk (one body, no idempotency key: every request stores new rows); rows/s and
    p50/p99 per batch in ms."""
    body = workdir / "batch.json"
    body.write_bytes(orjson.dumps(_batch(random.Random(7), size)))
    script = workdir / "post_batch.lua"
    script.write_text(BATCH_SCRIPT % {"key": key, "body": body})
    found = _wrk(script, base, duration, connections, min(connections, 2))
    return {**found, "rows_per_s": found["requests_per_s"] * size}


def _wrk(script: Path, base: str, duration: int, connections: int, threads: int) -> dict[str, float]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found: dict[str, float] = {}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    found["requests_per_s"] = float(rate.group(1)) if rate else 0.0
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        found[f"p{pct}_ms"] = _ms(match.group(1), match.group(2)) if match else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    found["non_2xx"] = float(errors.group(1)) if errors else 0.0
    socket_errors = re.search(r"Socket errors:.*", output)
    if socket_errors:
        print(f"  wrk: {socket_errors.group(0)}")
    return found


def _batch(rnd: random.Random, size: int) -> dict[str, object]:
    channels = ("email", "web", "in_app", "sms")
    return {
        "items": [
            {
                "survey": "relationship-nps",
                "nps": rnd.randint(0, 10),
                "customer_external_id": f"c-{rnd.randint(1, 5000)}",
                "channel": rnd.choice(channels),
                "touchpoint": "relationship",
            }
            for _ in range(size)
        ]
    }


def run_batches(base: str, key: str, batches: int, size: int, clients: int) -> dict[str, float]:
    """`clients` threads POST `batches` batches of `size` in total; rows/s and p50/p99 per batch in ms."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = iter(range(batches))

    def client(seed: int) -> None:
        rnd = random.Random(seed)
        headers = {"Authorization": f"Bearer {key}"}
        bodies = [_batch(rnd, size) for _ in range(3)]
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            while True:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                start = time.perf_counter()
                answer = http.post("/api/v1/responses", json=bodies[number % 3])
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    if answer.status_code != 201:
                        failures.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if failures:
        print(f"  {len(failures)} batches failed, e.g. {failures[0]}")
    ordered = sorted(latencies)
    return {
        "rows_per_s": batches * size / seconds,
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds of single-response load")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2, help="concurrent batch connections")
    parser.add_argument("--python-client", action="store_true", help="also send batches from Python threads")
    parser.add_argument("--batches", type=int, default=20, help="batches the Python client sends")
    parser.add_argument(
        "--sqlite-synchronous", choices=["normal", "full"], default="full", help="CXLOOP_SQLITE_SYNCHRONOUS"
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="cxloop-bench-") as tmp,
        fresh_database(args.backend) as (url, key),
        server(url, args.workers, sqlite_synchronous=args.sqlite_synchronous) as base,
    ):
        rows: list[tuple[str, str]] = []
        if shutil.which("wrk"):
            single = run_wrk(base, key, args.duration, args.connections, args.wrk_threads, Path(tmp))
            rows.append(
                (
                    f"single POST (wrk, {args.connections} connections)",
                    f"{single['requests_per_s']:>10,.0f} req/s  p50 {single['p50_ms']:.1f} ms  "
                    f"p99 {single['p99_ms']:.1f} ms  non-2xx {single['non_2xx']:.0f}",
                )
            )
            batch = run_wrk_batches(base, key, args.duration, args.batch_size, args.clients, Path(tmp))
            rows.append(
                (
                    f"batches of {args.batch_size:,} (wrk, {args.clients} connections)",
                    f"{batch['rows_per_s']:>10,.0f} rows/s p50 {batch['p50_ms']:.1f} ms  "
                    f"p99 {batch['p99_ms']:.1f} ms  non-2xx {batch['non_2xx']:.0f}",
                )
            )
        else:
            rows.append(("single POST and batches", "skipped: install wrk (apt-get install wrk)"))
        if args.python_client or not shutil.which("wrk"):
            batch = run_batches(base, key, args.batches, args.batch_size, args.clients)
            rows.append(
                (
                    f"batches of {args.batch_size:,} (Python, {args.clients} threads)",
                    f"{batch['rows_per_s']:>10,.0f} rows/s p50 {batch['p50_ms']:.1f} ms  p99 {batch['p99_ms']:.1f} ms",
                )
            )
    print()
    durability = f" (synchronous={args.sqlite_synchronous})" if args.backend == "sqlite" else ""
    print(f"POST /api/v1/responses on {args.backend}{durability}, cxloop serve --workers {args.workers}")
    for name, figures in rows:
        print(f"  {name:<38} {figures}")


if __name__ == "__main__":
    main()
