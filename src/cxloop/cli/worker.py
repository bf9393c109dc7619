"""`cxloop worker`: run the background jobs (trigger rules, sending invitations and reminders)."""

from __future__ import annotations

import logging
import threading

import typer

from cxloop.cli.context import console, database, settings


def worker(
    workers: int = typer.Option(
        2, "--workers", "-w", min=1, max=64, help="Worker threads running jobs side by side in this process."
    ),
    queue: str | None = typer.Option(
        None,
        "--queue",
        help="Queue name (default: CXLOOP_JOBS_QUEUE, 'cxloop'). On Redis it prefixes every key, so installations "
        "sharing one server stay apart; the web process queues on CXLOOP_JOBS_QUEUE.",
    ),
    poll_interval: float = typer.Option(
        0.25,
        "--poll-interval",
        min=0.01,
        max=10.0,
        help="Longest wait between looks at an idle SQLite job queue, in seconds (Redis wakes the queue's workers "
        "at once).",
    ),
    outbox_poll: float = typer.Option(
        0.05,
        "--outbox-poll",
        min=0.01,
        max=10.0,
        help="Longest wait between looks at an idle outbox and notification queue, in seconds (one indexed read "
        "each). Short, so a detractor's case and its webhook follow within a second or two.",
    ),
    periodic: bool = typer.Option(
        True, "--periodic/--no-periodic", help="Also run the scheduler that starts the periodic sweeps."
    ),
) -> None:
    """Run the background jobs until stopped (Ctrl-C lets running jobs finish).

    Event rules as events arrive; time rules every hour; due invitations every minute; reminders every 15 minutes;
    outbox events (response.received, ...) to their handlers as they commit; webhook and Slack messages.

    Jobs wait in Huey's queue: SQLite in CXLOOP_DATA_DIR by default, Redis when CXLOOP_REDIS_URL is set.

    Run as many workers as you like, on one machine or several: each invitation is created and sent once.
    See docs/triggers-and-worker.md.
    """
    from cxloop.worker import (
        build,
        build_relay,
        build_sender,
    )  # the handlers import every domain: only this command needs them

    logging.basicConfig(level=settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue = queue or settings().jobs_queue
    job_queue = build(settings(), database=database(), queue_name=queue)
    storage = "Redis" if settings().redis_url else f"SQLite ({settings().data_dir / 'jobs.db'})"
    sender, stop = build_sender(settings(), database()), threading.Event()
    relay = build_relay(database(), after_commit=sender.wake)
    relaying = threading.Thread(
        target=relay.run_forever, args=(stop,), kwargs={"poll_seconds": outbox_poll}, name="outbox-relay", daemon=True
    )
    relaying.start()  # outbox events to their handlers (docs/development/events-and-outbox.md)
    sending = threading.Thread(
        target=sender.run_forever,
        args=(stop,),
        kwargs={"poll_seconds": outbox_poll},
        name="notifications",
        daemon=True,
    )
    sending.start()  # webhook and Slack messages (docs/webhooks.md)
    console.print(
        f"cxloop worker: {workers} worker(s) on queue '{queue}', {storage}, outbox relay, notifications; Ctrl-C to stop"
    )
    try:
        job_queue.consumer(workers=workers, poll_seconds=poll_interval, periodic=periodic).run()
    finally:
        stop.set()
        relaying.join(30)
        sending.join(30)
        sender.close()
