"""Outbox throughput: signed webhook messages from the notifications sender to a local receiver, in messages/s.

    python bench/bench_webhooks.py --messages 5000                         # SQLite (the embedded default)
    python bench/bench_webhooks.py --messages 5000 --backend postgresql

Queues N `case.created` messages for one webhook destination through the real fan-out (`notifications.service.
queue_event`, one transaction per 1,000 events), then runs the sender exactly as `cxloop worker` does
(`Sender.run_forever` in a thread: lease, sign, POST with no transaction open, record) until every message is
delivered. The receiver is uvicorn in its own process (so it does not share this process's GIL); it checks every
signature with the official `standardwebhooks` verifier and counts distinct webhook-ids, which must equal N.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from cxloop.core.clock import utcnow
from cxloop.migrations.metadata import metadata
from cxloop.notifications import service as notifications
from cxloop.notifications.enums import MessageStatus
from cxloop.notifications.models import Message
from cxloop.notifications.schemas import DestinationCreate
from cxloop.notifications.sender import Sender
from cxloop.storage.database import Database
from databases import throwaway_database

SECRET_ENV = "BENCH_WEBHOOK_SECRET"


def receiver_app() -> Any:
    """The receiver: verifies each message's signature and writes its webhook-id to the file named by argv."""
    from standardwebhooks.webhooks import Webhook

    verifier = Webhook(os.environ[SECRET_ENV])
    seen = Path(os.environ["BENCH_WEBHOOK_SEEN"]).open("a")  # noqa: SIM115 - open for the process's life

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        verifier.verify(body, headers)  # raises (a 500, retried) on a bad signature
        seen.write(headers["webhook-id"] + "\n")
        seen.flush()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--port", type=int, default=8931)
    args = parser.parse_args()
    with throwaway_database(args.backend) as url, tempfile.TemporaryDirectory() as folder:
        db = Database(url)
        metadata.create_all(db.engine)
        with db.unit_of_work(write=True) as session:
            made = notifications.create_destination(
                session, DestinationCreate(url=f"http://127.0.0.1:{args.port}/hooks"), now=utcnow()
            )
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
        seen = Path(folder) / "seen.txt"
        env = {**os.environ, SECRET_ENV: made.secret or "", "BENCH_WEBHOOK_SEEN": str(seen)}
        receiver = subprocess.Popen(
            [
                *[sys.executable, "-m", "uvicorn", "--factory", "bench_webhooks:receiver_app"],
                *["--port", str(args.port), "--log-level", "warning", "--no-access-log"],
            ],
            env={**env, "PYTHONPATH": str(Path(__file__).parent)},
        )
        try:
            time.sleep(2)
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
        ids = seen.read_text().split()
        assert len(set(ids)) == args.messages, f"the receiver saw {len(set(ids))} distinct ids"
        print(
            f"delivered {args.messages} signed messages in {elapsed:.2f} s: {args.messages / elapsed:.0f} messages/s "
            f"({len(ids) - len(set(ids))} duplicates)"
        )
        db.dispose()


if __name__ == "__main__":
    main()
