"""Closing the loop, end to end: a detractor's response -> a case -> a signed `case.created` webhook received.

    python bench/bench_close_loop.py --rate 50 --duration 30        # the act issue's target: p99 < 2 s
    python bench/bench_close_loop.py --rate 20 --duration 20 --on-sentiment   # the rule also reads the comment's
                                                                              # sentiment: after the text enrichment

The default embedded set-up: a SQLite database and Huey on SQLite in a throwaway data directory, `cxloop serve` and
`cxloop worker` as real subprocesses. One enabled alert rule "NPS <= 6 on relationship-nps -> open a case", one
webhook destination subscribed to `case.created` pointing at a local receiver (its own uvicorn process) that checks
every signature with the official `standardwebhooks` package and notes when each message arrived.

The load: POST /api/v1/responses at `--rate` per second (open loop: each request goes at its scheduled instant,
whether the ones before have been answered or not) for `--duration` seconds, each a detractor (NPS 0-6) of a new
customer, so each opens its own case. For every response it measures, on the machine's wall clock (`time.time()`,
shared by the processes):

- accepted: the POST answered 201 (from the instant it was first sent; a 503 of the load shedding is sent again
  after its Retry-After, and counted);
- case exists: the case's `created_at` as the worker wrote it (the case's trigger is the response);
- webhook: the verified `case.created` message naming the case arrived at the receiver.

With `--on-sentiment` the rule is "NPS <= 6 and sentiment negative" and every response carries an angry comment:
the case then waits for the worker's text enrichment (`response.enriched`, docs/alerts.md).

It prints p50/p99/max of accepted -> case and accepted -> webhook, and fails when a response has no case or no
webhook within `--timeout` seconds of the last POST, or when any signature did not verify.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench_triggers import _free_port, _wait_for_health
from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.alerts import service as alerts
from cxloop.alerts.schemas import RuleCreate
from cxloop.core.clock import utcnow
from cxloop.notifications import service as notifications
from cxloop.notifications.schemas import DestinationCreate
from cxloop.storage.database import Database
from databases import survey_database
from webhook_receiver import SECRET_ENV, SEEN_ENV, read_seen


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(round(p * len(ordered)), 1) - 1]


def describe(name: str, seconds: list[float]) -> str:
    return (
        f"{name}: p50 {statistics.median(seconds) * 1000:.0f} ms, p99 {nearest_rank(seconds, 0.99) * 1000:.0f} ms, "
        f"max {max(seconds) * 1000:.0f} ms (n={len(seconds)})"
    )


ANGRY = "Awful app, it crashes every time I open it"
SENTIMENT = {"field": "sentiment", "op": "=", "value": "negative"}


def set_up(url: str, receiver_url: str, *, on_sentiment: bool) -> tuple[str, str]:
    """The rule, the destination and an API key; (key, signing secret)."""
    db = Database(url)
    with db.unit_of_work(write=True) as session:
        alerts.create_rule(
            session,
            data=RuleCreate.model_validate(
                {
                    "name": "detractors open a case",
                    "enabled": True,
                    "conditions": [{"field": "nps", "op": "<=", "value": 6}, *([SENTIMENT] if on_sentiment else [])],
                    "actions": [{"kind": "open_case", "priority": "high"}],
                }
            ),
        )
        made = notifications.create_destination(
            session, DestinationCreate(url=receiver_url, events=["case.created"]), now=utcnow()
        )
        _, key = access.create_api_key(session, name="bench", role=Role.agent)
    db.dispose()
    return key, made.secret or ""


async def post_responses(
    base: str, key: str, rate: float, duration: float, *, comment: str | None, seed: int = 7
) -> tuple[dict[int, float], list[float]]:
    """POST one detractor per 1/rate s for `duration` s: response id -> wall-clock time it was accepted, and the
    seconds from sending to the answer of each."""
    rnd = random.Random(seed)
    accepted: dict[int, float] = {}
    waits: list[float] = []
    shed: list[int] = []
    total = int(rate * duration)
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as client:

        async def one(n: int) -> None:
            body = {"survey": "relationship-nps", "customer_external_id": f"detractor-{n}", "nps": rnd.randrange(7)}
            if comment is not None:
                body["comment"] = comment
            sent = time.time()
            while True:
                answer = await client.post("/api/v1/responses", json=body)
                if answer.status_code != 503:  # shed under load: a client tries again after a moment
                    break
                shed.append(n)
                await asyncio.sleep(float(answer.headers.get("retry-after", "0.2")))
            if answer.status_code != 201:
                raise SystemExit(f"POST refused: {answer.status_code} {answer.text}")
            now = time.time()
            waits.append(now - sent)
            for response_id in answer.json()["ids"]:
                accepted[response_id] = now

        started = time.perf_counter()
        tasks = []
        for n in range(total):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    if shed:
        print(f"the server shed {len(shed)} POSTs (503) of {len(set(shed))} responses; each was sent again")
    return accepted, waits


def cases_of(url: str, response_ids: list[int]) -> dict[int, tuple[int, float]]:
    """response id -> (case id, case created_at as a wall-clock time) for the responses that opened a case."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.source_id, c.id, c.created_at FROM case_triggers t JOIN cases c ON c.id = t.case_id "
                "WHERE t.source = 'response'"
            )
        ).all()
    engine.dispose()
    wanted = set(response_ids)
    found = {}
    for response_id, case_id, created_at in rows:
        if response_id in wanted:
            at = datetime.fromisoformat(created_at) if isinstance(created_at, str) else created_at
            found[response_id] = (case_id, at.replace(tzinfo=UTC).timestamp())
    return found


def where_the_time_goes(url: str) -> None:
    """Per outbox handler: how long after its event was written it finished, and how long its run took (median)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT d.handler, e.name, e.created_at, e.relayed_at, d.done_at, d.last_duration_ms "
                "FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id WHERE d.done_at IS NOT NULL"
            )
        ).all()
        sent = conn.execute(text("SELECT created_at, delivered_at FROM notification_messages")).all()
    engine.dispose()

    def at(value: object) -> datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[return-value]

    by_handler: dict[str, list[tuple[float, float, float]]] = {}
    for handler, name, created, relayed, done, ran_ms in rows:
        by_handler.setdefault(f"{name} -> {handler}", []).append(
            (
                (at(relayed) - at(created)).total_seconds(),
                (at(done) - at(created)).total_seconds(),
                (ran_ms or 0) / 1000,
            )
        )
    print("where the time goes (median over the run): event written -> fanned out / handler done; handler's run")
    for name, values in sorted(by_handler.items()):
        fanned, done, ran = (statistics.median(v[i] for v in values) for i in range(3))
        print(f"  {name}: {fanned * 1000:.0f} ms / {done * 1000:.0f} ms; runs {ran * 1000:.0f} ms (n={len(values)})")
    waits = [(at(d) - at(c)).total_seconds() for c, d in sent if d is not None]
    if waits:
        print(f"  webhook message queued -> delivered: {describe('', waits).lstrip(': ')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50, help="responses per second")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for the last webhooks")
    parser.add_argument("--on-sentiment", action="store_true", help="the rule also needs a negative comment")
    args = parser.parse_args()
    with survey_database("sqlite") as url, tempfile.TemporaryDirectory(prefix="cxloop-bench-data-") as data_dir:
        receiver_port, port = _free_port(), _free_port()
        key, secret = set_up(url, f"http://127.0.0.1:{receiver_port}/hooks", on_sentiment=args.on_sentiment)
        seen = Path(data_dir) / "seen.txt"
        env = {
            **os.environ,
            "CXLOOP_DATABASE_URL": url,
            "CXLOOP_ENVIRONMENT": "test",  # a throwaway database with the development secret
            "CXLOOP_DATA_DIR": data_dir,
            "CXLOOP_LOG_LEVEL": "WARNING",
        }
        cxloop = str(Path(sys.executable).with_name("cxloop"))
        logs = Path(data_dir) / "logs.txt"
        with logs.open("wb") as log:
            receiver = subprocess.Popen(
                [
                    *[sys.executable, "-m", "uvicorn", "--factory", "webhook_receiver:receiver_app"],
                    *["--port", str(receiver_port), "--log-level", "warning", "--no-access-log"],
                ],
                env={**env, SECRET_ENV: secret, SEEN_ENV: str(seen), "PYTHONPATH": str(Path(__file__).parent)},
                stdout=log,
                stderr=log,
            )
            server = subprocess.Popen(
                [cxloop, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=log, stderr=log
            )
            worker = subprocess.Popen([cxloop, "worker"], env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for_health(base, server, logs)
            time.sleep(2)  # the worker's start (its imports) is not part of the loop
            rule = "NPS and sentiment" if args.on_sentiment else "NPS"
            print(f"POST {args.rate:g} detractors/s for {args.duration:g} s (SQLite, embedded worker; rule on {rule})")
            comment = ANGRY if args.on_sentiment else None
            accepted, waits = asyncio.run(post_responses(base, key, args.rate, args.duration, comment=comment))
            print(describe("sent -> accepted (201)", waits))
            deadline = time.monotonic() + args.timeout
            while True:
                messages, bad = read_seen(seen)
                if sum(len(m[2].get("case_ids", [])) for m in messages) >= len(accepted) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            for process in (server, worker, receiver):
                process.terminate()
                process.wait(20)
        cases = cases_of(url, list(accepted))
        where_the_time_goes(url)
        webhook_at: dict[int, float] = {}
        for _, arrived, data in messages:
            for case_id in data.get("case_ids", []):
                webhook_at.setdefault(case_id, arrived)
        to_case = [cases[r][1] - accepted[r] for r in accepted if r in cases]
        to_webhook = [
            webhook_at[cases[r][0]] - accepted[r] for r in accepted if r in cases and cases[r][0] in webhook_at
        ]
        print(
            f"{len(accepted)} accepted, {len(cases)} cases, {len(to_webhook)} webhooks verified, {bad} bad signatures"
        )
        if to_case:
            print(describe("accepted -> case exists", to_case))
        if to_webhook:
            print(describe("accepted -> webhook received and verified", to_webhook))
        tracebacks = logs.read_text(errors="replace").count("Traceback")
        if tracebacks:
            print(f"the server or worker logged {tracebacks} tracebacks:\n{logs.read_text(errors='replace')[-3000:]}")
        if bad or len(cases) != len(accepted) or len(to_webhook) != len(accepted):
            raise SystemExit("MISSING: not every response reached a case and a verified webhook")


if __name__ == "__main__":
    main()
