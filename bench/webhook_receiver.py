"""A webhook receiver for the benchmarks, run as its own uvicorn process (so it does not share the benchmark's GIL):

    BENCH_WEBHOOK_SECRET=whsec_... BENCH_WEBHOOK_SEEN=seen.txt \\
        python -m uvicorn --factory webhook_receiver:receiver_app --port 8931   # with bench/ on PYTHONPATH

It checks every message's signature with the official `standardwebhooks` verifier (a bad one is answered 401 and
counted in the file as `BAD`) and appends one line per verified message to the file: the `webhook-id`, the wall-clock
time it arrived (`time.time()`, comparable across the processes of one machine) and the body's `data` as JSON.
`BENCH_WEBHOOK_SECRET` empty: no verification (the plain-POST floor of bench_outbox.py).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

SECRET_ENV = "BENCH_WEBHOOK_SECRET"
SEEN_ENV = "BENCH_WEBHOOK_SEEN"


def receiver_app() -> Any:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    secret = os.environ.get(SECRET_ENV, "")
    verifier = Webhook(secret) if secret else None
    seen = Path(os.environ[SEEN_ENV]).open("a")  # noqa: SIM115 - open for the process's life

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        arrived = time.time()
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status = 204
        if verifier is not None:
            try:
                verifier.verify(body, headers)
            except WebhookVerificationError:
                status = 401
        if status == 204:
            data = json.loads(body).get("data", {}) if verifier is not None else {}
            seen.write(f"{headers.get('webhook-id', '-')}\t{arrived:.6f}\t{json.dumps(data)}\n")
        else:
            seen.write("BAD\n")
        seen.flush()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def read_seen(path: Path) -> tuple[list[tuple[str, float, dict[str, Any]]], int]:
    """The verified messages (webhook-id, arrival time, data) and how many failed verification."""
    messages, bad = [], 0
    if not path.exists():
        return messages, bad
    for line in path.read_text().splitlines():
        if line == "BAD":
            bad += 1
        elif line:
            webhook_id, arrived, data = line.split("\t", 2)
            messages.append((webhook_id, float(arrived), json.loads(data)))
    return messages, bad
