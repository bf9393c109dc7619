"""Triggers at scale, and the latency of the event path.

    python bench/bench_triggers.py sweep --customers 1000000                 # SQLite (the embedded default)
    python bench/bench_triggers.py sweep --customers 1000000 --backend postgresql
    python bench/bench_triggers.py sweep --customers 100000 --scoped-policies 3   # + segment-scoped contact policies
    python bench/bench_triggers.py ticket --tickets 200                      # webhook -> email, embedded worker

sweep: loads N customers with sign-up dates spread over the last --spread-days days, adds the time rule "30 days after
signup" (email), and times the sweep exactly as the worker's hourly job runs it (`cxloop.triggers.tasks.run_time_sweep`:
the due occurrences selected in SQL once, the invitations stored in transactions of 500). The set of (customer,
due date) it created is then compared with a plain pandas computation over the customer rows: they must be
identical. A second sweep must create nothing.

ticket: starts `cxloop serve` and `cxloop worker` (Huey on SQLite in a temporary data directory: the embedded default)
and an SMTP server (aiosmtpd) in this process; adds an event rule "ticket_solved -> post-support CSAT by email, delay
0"; then, one at a time, POSTs the generic helpdesk webhook (`/webhooks/helpdesk/generic`,
event ticket_solved, API key auth) for a new customer and waits for the CSAT email to arrive at the SMTP server.
Prints p50/p99/max of "webhook sent -> email received".
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pandas as pd
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Table, func, insert, select

from cxloop.access import service as access
from cxloop.access.enums import Role
from cxloop.core.clock import utcnow
from cxloop.core.config import Settings
from cxloop.customers.models import Customer
from cxloop.governance import scoped_policies
from cxloop.governance.schemas import ScopedPolicyCreate
from cxloop.invitations.models import Invitation
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.templates import get_template
from cxloop.triggers import service as triggers
from cxloop.triggers import time_rules
from cxloop.triggers.schemas import TriggerRuleCreate
from cxloop.triggers.tasks import run_time_sweep
from cxloop.wiring import wire_domains
from databases import survey_database

OFFSET_DAYS = 30


def load_customers(db: Database, count: int, spread_days: int, today: date, seed: int = 7) -> None:
    rnd = random.Random(seed)
    table = cast(Table, Customer.__table__)
    now = utcnow()
    chunk = 50_000
    for start in range(0, count, chunk):
        rows: list[dict[str, Any]] = [
            {
                "external_id": f"c-{n}",
                "email": f"c{n}@example.com",
                "attributes": {},
                "signup_date": today - timedelta(days=rnd.randrange(spread_days)),
                "created_at": now,
                "updated_at": now,
            }
            for n in range(start, min(start + chunk, count))
        ]
        with db.unit_of_work(write=True) as session:
            session.execute(insert(table), rows)


def reference(db: Database, today: date, lookback_days: int) -> set[tuple[int, str]]:
    """The due (customer, date) pairs computed with pandas over every customer row."""
    with db.engine.connect() as conn:
        frame = pd.read_sql("SELECT id, signup_date FROM customers WHERE signup_date IS NOT NULL", conn)
    due = pd.to_datetime(frame["signup_date"]) + pd.Timedelta(days=OFFSET_DAYS)
    first = pd.Timestamp(today - timedelta(days=lookback_days - 1))
    hit = frame[(due >= first) & (due <= pd.Timestamp(today))]
    due_hit = due[hit.index].dt.date.astype(str)
    return set(zip(hit["id"].astype(int), due_hit, strict=True))


def created(db: Database, rule_id: int) -> set[tuple[int, str]]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Invitation.customer_id, Invitation.occurrence_key).where(Invitation.rule_id == rule_id)
        )
        return {(customer_id, str(key).rsplit(":", 1)[1]) for customer_id, key in rows}


def run_sweep(args: argparse.Namespace) -> None:
    today = utcnow().date()
    with survey_database(args.backend) as url:
        wire_domains(Settings(database_url=url))  # as the worker does at start (the invitation rollups' hook)
        db = Database(url)
        started = time.perf_counter()
        load_customers(db, args.customers, args.spread_days, today)
        print(f"loaded {args.customers:,} customers in {time.perf_counter() - started:.1f} s ({args.backend})")
        with db.unit_of_work() as session:
            survey = surveys.require_survey(session, key="relationship-nps")
            rule = triggers.create_rule(
                session,
                data=TriggerRuleCreate.model_validate(
                    {
                        "key": "nps-30-days",
                        "name": "NPS 30 days after signup",
                        "kind": "time",
                        "survey_id": survey.id,
                        "channel": "email",
                        "anchor": "signup_date",
                        "offset_days": OFFSET_DAYS,
                    }
                ),
            )
            rule_id = rule.id
            for n in range(args.scoped_policies):  # filters no customer matches: the cost of trying them
                scoped_policies.create_policy(
                    session,
                    data=ScopedPolicyCreate(key=f"tier-{n}", segment_filter=f"plan = tier{n}", priority=n + 1),
                )
        now = utcnow()
        with db.unit_of_work() as session:
            selected = time.perf_counter()
            due = time_rules.due_occurrences(session, rule, today=today, lookback_days=time_rules.LOOKBACK_DAYS)
            selected = time.perf_counter() - selected
        started = time.perf_counter()
        due_count, total = run_time_sweep(db, now=now)  # exactly what the worker's hourly job runs
        elapsed = time.perf_counter() - started
        again = time.perf_counter()
        second = run_time_sweep(db, now=now)
        again = time.perf_counter() - again
        mine = created(db, rule_id)
        expected = reference(db, today, time_rules.LOOKBACK_DAYS)
        with db.unit_of_work() as session:
            statuses = dict(session.execute(select(Invitation.status, func.count()).group_by(Invitation.status)).all())
        print(f"due occurrences selected in SQL: {len(due):,} in {selected:.2f} s")
        print(f"sweep over {args.customers:,} customers: {total:,} invitations in {elapsed:.2f} s {statuses}")
        print(f"second sweep: {second[1]} created, {second[0]:,} due, {again:.2f} s")
        print(f"identical to the pandas reference ({len(expected):,} pairs): {mine == expected}")
        db.dispose()
        if mine != expected or second[1] or due_count != len(expected):
            raise SystemExit("MISMATCH")


class Arrivals:
    """aiosmtpd handler noting when each recipient's message arrived."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.arrived = threading.Condition()

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        with self.arrived:
            for address in envelope.rcpt_tos:
                self.at[address] = time.perf_counter()
            self.arrived.notify_all()
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_ticket(args: argparse.Namespace) -> None:
    arrivals = Arrivals()
    smtp_port = _free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    with survey_database("sqlite") as url, tempfile.TemporaryDirectory(prefix="cxloop-bench-data-") as data_dir:
        db = Database(url)
        with db.unit_of_work() as session:
            template = get_template("post-support-csat").model_copy(update={"status": SurveyStatus.live})
            survey = surveys.create_survey(session, data=template)
            triggers.create_rule(
                session,
                data=TriggerRuleCreate.model_validate(
                    {
                        "key": "csat-after-ticket",
                        "name": "CSAT when a ticket is solved",
                        "kind": "event",
                        "survey_id": survey.id,
                        "channel": "email",
                        "event_name": "ticket_solved",
                        "delay_seconds": 0,
                    }
                ),
            )
            _, key = access.create_api_key(session, name="bench", role=Role.agent)
        db.dispose()
        port = _free_port()
        env = {
            **os.environ,
            "CXLOOP_DATABASE_URL": url,
            "CXLOOP_ENVIRONMENT": "test",  # a throwaway database with the development secret
            "CXLOOP_DATA_DIR": data_dir,
            "CXLOOP_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "CXLOOP_LOG_LEVEL": "WARNING",
        }
        cxloop = str(Path(sys.executable).with_name("cxloop"))
        logs = Path(data_dir) / "logs.txt"
        with logs.open("wb") as log:
            server = subprocess.Popen(
                [cxloop, "serve", "--port", str(port), "--workers", "1"], env=env, stdout=log, stderr=log
            )
            worker = subprocess.Popen([cxloop, "worker", "--workers", "2"], env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for_health(base, server, logs)
            latencies = _send_tickets(base, key, arrivals, args.tickets)
        finally:
            for process in (server, worker):
                process.terminate()
                process.wait(20)
            controller.stop()
        latencies.sort()
        p99 = latencies[max(0, round(0.99 * len(latencies)) - 1)]
        p50 = statistics.median(latencies)
        print(
            f"ticket solved -> email received, {len(latencies)} tickets: p50 {p50 * 1000:.0f} ms"
            f", p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
        )
        if logs.read_text(errors="replace").count("Traceback"):
            print(f"the server or worker logged tracebacks:\n{logs.read_text(errors='replace')[-3000:]}")


def _wait_for_health(base: str, server: subprocess.Popen[bytes], logs: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"cxloop serve did not start: {logs.read_text()[-2000:]}")
        time.sleep(0.2)


def _send_tickets(base: str, key: str, arrivals: Arrivals, count: int) -> list[float]:
    latencies: list[float] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        for n in range(count + 5):  # the first 5 warm the server and the worker up
            email = f"ticket{n}@example.com"
            body = {
                "id": f"evt-{n}",
                "event": "ticket_solved",
                "occurred_at": datetime.now(UTC).isoformat(),
                "ticket": {"id": f"T-{n}", "status": "solved"},
                "customer": {"external_id": f"cust-{n}", "email": email},
                "metrics": {"wait_minutes": 12},
            }
            sent = time.perf_counter()
            response = client.post("/webhooks/helpdesk/generic", json=body)
            if response.status_code >= 300:
                raise SystemExit(f"webhook refused: {response.status_code} {response.text}")
            with arrivals.arrived:
                if not arrivals.arrived.wait_for(lambda address=email: address in arrivals.at, timeout=30):
                    raise SystemExit(f"no email for ticket {n} within 30 s")
            if n >= 5:
                latencies.append(arrivals.at[email] - sent)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    sweep = commands.add_parser("sweep", help="the time-rule sweep over N customers")
    sweep.add_argument("--customers", type=int, default=1_000_000)
    sweep.add_argument("--spread-days", type=int, default=3 * 365, help="sign-ups spread over this many days")
    sweep.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    sweep.add_argument("--scoped-policies", type=int, default=0, help="segment-scoped contact policies to try first")
    ticket = commands.add_parser("ticket", help="helpdesk webhook -> CSAT email latency")
    ticket.add_argument("--tickets", type=int, default=200)
    args = parser.parse_args()
    if args.command == "sweep":
        run_sweep(args)
    else:
        run_ticket(args)


if __name__ == "__main__":
    main()
