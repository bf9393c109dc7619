"""Overload: at 4x the load a server sustains, what it lets in stays fast, what it refuses is refused fast, and
nothing it acknowledged is lost.

    python bench/bench_overload.py --duration 10
    python bench/bench_overload.py --backend postgresql --duration 10

Builds a fresh database (a live relationship NPS survey and an agent API key), starts `cxloop serve --workers 2`,
and POSTs single responses to /api/v1/responses, each with its own Idempotency-Key:
1. sustainable load: a closed loop of `--connections` connections, each sending its next request when the last is
   answered, for `--duration` seconds; the answers per second are the sustainable rate.
   The server sheds nothing here (`--max-in-flight 0`).
2. overload: an open loop at `--factor` (4) times that rate for `--duration` seconds, from a pool of up to
   `--max-connections` connections (a request waits for a free one when all are busy; its latency counts from when it
   was due, not from when it was sent, so a slow server cannot hide its delay by slowing the client). On a fresh
   server with its default bound (or each of `--max-in-flight B [B ...]`), then with `--max-in-flight 0` (no
   shedding, the behaviour before) unless `--skip-unbounded`.
For each run it prints the answers by status, p50/p99 of the accepted (201) and of the refused (503/429) answers,
and compares the rows stored with the 201s received: "lost" counts acknowledged responses missing from the table.
The client is asyncio over raw keep-alive sockets (uvloop when installed), so it needs little CPU; it still shares
the machine with the server, as the other benchmarks do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import func, select

import cxloop.collection.models as collection_models
from bench_ingest_api import fresh_database, server
from cxloop.storage.database import Database


@dataclass
class Run:
    """The answers of one run: latency in ms by status; `unanswered` for connection errors and timeouts."""

    latencies: dict[int, list[float]] = field(default_factory=dict)
    unanswered: Counter[str] = field(default_factory=Counter)  # by the client's error
    seconds: float = 0.0

    def record(self, status: int, ms: float) -> None:
        self.latencies.setdefault(status, []).append(ms)

    def count(self, *statuses: int) -> int:
        return sum(len(self.latencies.get(s, [])) for s in statuses)

    def percentiles(self, *statuses: int) -> str:
        found = sorted(ms for s in statuses for ms in self.latencies.get(s, []))
        if not found:
            return "-"
        p99 = found[min(len(found) - 1, int(len(found) * 0.99))]
        return f"p50 {statistics.median(found):.1f} ms  p99 {p99:.1f} ms  max {found[-1]:.1f} ms"


class Client:
    """HTTP/1.1 keep-alive connections to the server, each sending one request at a time."""

    def __init__(self, base: str, key: str, max_connections: int) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.key = key
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.max_connections = max_connections
        self.freed = asyncio.Condition()
        self.prefix = uuid.uuid4().hex[:8]
        self.counter = 0
        self.rnd = random.Random(7)

    def _request(self) -> bytes:
        self.counter += 1
        body = (
            f'{{"survey":"relationship-nps","nps":{self.rnd.randint(0, 10)},'
            f'"customer_external_id":"c-{self.rnd.randint(1, 5000)}","channel":"web","touchpoint":"relationship"}}'
        ).encode()
        head = (
            f"POST /api/v1/responses HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {self.key}\r\nIdempotency-Key: {self.prefix}-{self.counter}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        return head + body

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with self.freed:
            while not self.idle and self.opened >= self.max_connections:
                await self.freed.wait()
            if self.idle:
                return self.idle.pop()
            self.opened += 1
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError:
            async with self.freed:
                self.opened -= 1
                self.freed.notify()
            raise

    async def _release(self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        async with self.freed:
            if connection is None:
                self.opened -= 1
            else:
                self.idle.append(connection)
            self.freed.notify()

    async def send(self, run: Run, due: float) -> None:
        """One POST; its status and latency (from `due`, a perf_counter time) recorded in `run`."""
        connection = None
        try:
            connection = await self._connection()
            reader, writer = connection
            writer.write(self._request())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=60)
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            run.record(status, (time.perf_counter() - due) * 1000)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as exc:
            run.unanswered[type(exc).__name__] += 1
            if connection is not None:
                connection[1].close()
            connection = None
        await self._release(connection)

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def closed_loop(base: str, key: str, connections: int, seconds: float) -> Run:
    """Each of `connections` connections sends its next request as soon as the last is answered."""
    client, run = Client(base, key, connections), Run()
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            await client.send(run, time.perf_counter())

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(connections)))
    run.seconds = time.perf_counter() - started
    await client.close()
    return run


async def open_loop(base: str, key: str, rate: float, seconds: float, max_connections: int) -> Run:
    """`rate` requests a second for `seconds`, each sent when due whatever the earlier ones are waiting for."""
    client, run = Client(base, key, max_connections), Run()
    tasks: set[asyncio.Task[None]] = set()
    total = int(rate * seconds)
    started = time.perf_counter()
    for number in range(total):
        due = started + number / rate
        delay = due - time.perf_counter()
        if delay > 0.001:
            await asyncio.sleep(delay)
        task = asyncio.create_task(client.send(run, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks)
    run.seconds = time.perf_counter() - started
    await client.close()
    return run


def stored_responses(url: str) -> int:
    database = Database(url)
    try:
        with database.unit_of_work() as session:
            return session.scalar(select(func.count()).select_from(collection_models.Response)) or 0
    finally:
        database.dispose()


def report(name: str, run: Run, stored_before: int, stored_after: int) -> None:
    accepted = run.count(201)
    refused = run.count(503, 429)
    other = {s: len(v) for s, v in run.latencies.items() if s not in (201, 503, 429)}
    stored = stored_after - stored_before
    print(f"  {name}")
    print(
        f"    answers: {accepted:,} 201, {refused:,} 503/429, other {other or 0}, "
        f"unanswered {dict(run.unanswered) or 0}"
    )
    print(f"    accepted: {accepted / run.seconds:,.0f}/s  {run.percentiles(201)}")
    print(f"    refused:  {refused / run.seconds:,.0f}/s  {run.percentiles(503, 429)}")
    print(f"    stored {stored:,} rows for {accepted:,} acknowledged: lost {max(0, accepted - stored)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32, help="closed-loop connections (sustainable load)")
    parser.add_argument("--factor", type=float, default=4.0, help="overload = factor x the sustainable rate")
    parser.add_argument("--rate", type=float, default=0, help="use this sustainable rate instead of measuring it")
    parser.add_argument("--max-connections", type=int, default=512, help="connections of the overload client")
    parser.add_argument(
        "--max-in-flight", type=int, nargs="+", default=None, help="the server's bounds to try (default: its own)"
    )
    parser.add_argument(
        "--max-loop-lag", type=int, nargs="+", default=None, help="the server's loop-lag bounds in ms to try"
    )
    parser.add_argument("--skip-unbounded", action="store_true", help="skip the run without shedding")
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()

    print(f"POST /api/v1/responses on {args.backend}, cxloop serve --workers {args.workers}")
    rate = args.rate or sustainable_rate(args)
    offered = rate * args.factor
    in_flight = [[]] if args.max_in_flight is None else [["--max-in-flight", str(b)] for b in args.max_in_flight]
    lags = [[]] if args.max_loop_lag is None else [["--max-loop-lag", str(ms)] for ms in args.max_loop_lag]
    bounds = [bound + lag for bound in in_flight for lag in lags]
    if not args.skip_unbounded:
        bounds.append(["--max-in-flight", "0", "--max-loop-lag", "0"])
    for options in bounds:
        with fresh_database(args.backend) as (url, key), server(url, args.workers, *options) as base:
            before = stored_responses(url)
            run = asyncio.run(open_loop(base, key, offered, args.duration, args.max_connections))
            shown = " ".join(options) or "default --max-in-flight"
            title = f"{shown}: open loop at {offered:,.0f}/s ({args.factor:g} x {rate:,.0f}/s)"
            report(f"{title}, up to {args.max_connections} connections", run, before, stored_responses(url))


def sustainable_rate(args: argparse.Namespace) -> float:
    """Accepted answers per second of a closed loop on a server that sheds nothing."""
    unbounded = ("--max-in-flight", "0", "--max-loop-lag", "0")
    with fresh_database(args.backend) as (url, key), server(url, args.workers, *unbounded) as base:
        before = stored_responses(url)
        run = asyncio.run(closed_loop(base, key, args.connections, args.duration))
        report(f"sustainable load: closed loop, {args.connections} connections", run, before, stored_responses(url))
    return run.count(201) / run.seconds


if __name__ == "__main__":
    main()
