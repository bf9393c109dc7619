"""Outbox throughput: signed webhook messages from the notifications sender to a local receiver, in messages/s, next
to the floor of plain POSTs of the same signed bodies to the same receiver in the same run.

    python bench/bench_outbox.py --messages 10000                         # SQLite (the embedded default)
    python bench/bench_outbox.py --messages 10000 --backend postgresql

Queues N `case.created` messages for one webhook destination through the real fan-out (`notifications.service.
queue_event`, one transaction per 1,000 events), then runs the sender exactly as `cxloop worker` does
(`Sender.run_forever` in a thread: lease, sign, POST with no transaction open, record) until every message is
delivered. The receiver is uvicorn in its own process (bench/webhook_receiver.py, so it does not share this
process's GIL); it checks every signature with the official `standardwebhooks` verifier and notes each webhook-id,
whose distinct count must equal N.

The floor: the same N bodies, signed beforehand with `standardwebhooks`, POSTed to the same receiver by one client
with no database at all, (a) one at a time over one keep-alive connection and (b) from as many threads as the
sender uses. The outbox cannot beat (b); the gap is what leasing, signing and recording cost.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select

from cxloop.core.clock import utcnow
from cxloop.migrations.metadata import metadata
from cxloop.notifications import service as notifications
from cxloop.notifications.enums import MessageStatus
from cxloop.notifications.models import Message
from cxloop.notifications.schemas import DestinationCreate
from cxloop.notifications.sender import Sender, SendPolicy
from cxloop.storage.database import Database
from databases import throwaway_database
from webhook_receiver import SECRET_ENV, SEEN_ENV, read_seen


def start_receiver(port: int, secret: str, seen: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, SECRET_ENV: secret, SEEN_ENV: str(seen), "PYTHONPATH": str(Path(__file__).parent)}
    receiver = subprocess.Popen(
        [
            *[sys.executable, "-m", "uvicorn", "--factory", "webhook_receiver:receiver_app"],
            *["--port", str(port), "--log-level", "warning", "--no-access-log"],
        ],
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return receiver
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the receiver did not start")


def signed_bodies(secret: str, count: int) -> list[tuple[bytes, dict[str, str]]]:
    """`count` case.created bodies with their Standard Webhooks headers, signed before any timing."""
    from standardwebhooks.webhooks import Webhook

    signer = Webhook(secret)
    now = datetime.now(UTC)
    found = []
    for n in range(count):
        body = f'{{"type":"case.created","timestamp":"{now.isoformat()}","data":{{"case_ids":[{n + 1}]}}}}'
        webhook_id = f"msg_floor_{n}"
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signer.sign(webhook_id, now, body),
        }
        found.append((body.encode(), headers))
    return found


def floor(url: str, bodies: list[tuple[bytes, dict[str, str]]], threads: int) -> float:
    """Seconds to POST every body, from `threads` threads each with its own keep-alive connection."""
    local = threading.local()

    def post(item: tuple[bytes, dict[str, str]]) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=10)
        answer = client.post(url, content=item[0], headers=item[1])
        if answer.status_code != 204:
            raise SystemExit(f"the receiver refused a plain POST: {answer.status_code}")

    started = time.perf_counter()
    if threads == 1:
        for item in bodies:
            post(item)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(post, bodies))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--port", type=int, default=8931)
    args = parser.parse_args()
    threads = SendPolicy().threads
    url = f"http://127.0.0.1:{args.port}/hooks"
    with throwaway_database(args.backend) as db_url, tempfile.TemporaryDirectory() as folder:
        db = Database(db_url)
        metadata.create_all(db.engine)
        with db.unit_of_work(write=True) as session:
            made = notifications.create_destination(session, DestinationCreate(url=url), now=utcnow())
        secret = made.secret or ""
        started = time.perf_counter()
        for start in range(0, args.messages, 1000):
            with db.unit_of_work(write=True) as session:
                for event_id in range(start + 1, min(start + 1000, args.messages) + 1):
                    notifications.queue_event(
                        session,
                        event_id=event_id,
                        name="case.created",
                        payload={"case_ids": [event_id]},
                        created_at=utcnow(),
                        now=utcnow(),
                    )
        print(f"queued {args.messages} messages in {time.perf_counter() - started:.1f} s ({args.backend})")
        bodies = signed_bodies(secret, args.messages)
        seen = Path(folder) / "seen.txt"
        receiver = start_receiver(args.port, secret, seen)
        probes = read_seen(seen)[1]  # start_receiver's unsigned GETs, refused as they should be
        try:
            one = floor(url, bodies, 1)
            many = floor(url, bodies, threads)
            floor_lines = len(read_seen(seen)[0])
            sender = Sender(db, public_url="http://127.0.0.1")
            stop = threading.Event()
            thread = threading.Thread(target=sender.run_forever, args=(stop,), kwargs={"poll_seconds": 0.05})
            started = time.perf_counter()
            thread.start()
            while True:
                with db.unit_of_work() as session:
                    delivered = session.scalar(
                        select(func.count()).where(Message.status == MessageStatus.delivered.value)
                    )
                if delivered == args.messages:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            stop.set()
            thread.join(30)
            sender.close()
        finally:
            receiver.terminate()
            receiver.wait(10)
        messages, bad = read_seen(seen)
        bad -= probes
        ids = [webhook_id for webhook_id, _, _ in messages[floor_lines:]]
        assert len(set(ids)) == args.messages and not bad, f"the receiver saw {len(set(ids))} distinct ids, {bad} bad"
        n = args.messages
        print(f"floor, plain signed POSTs, 1 connection:        {n / one:7.0f} messages/s ({one:.2f} s)")
        print(f"floor, plain signed POSTs, {threads} threads:          {n / many:7.0f} messages/s ({many:.2f} s)")
        print(
            f"outbox: sender leasing, signing, posting, recording: {n / elapsed:7.0f} messages/s ({elapsed:.2f} s, "
            f"{len(ids) - len(set(ids))} duplicates, every signature verified)"
        )
        db.dispose()


if __name__ == "__main__":
    main()
