"""Real counterparts for the worker tests: Huey on SQLite or on the Redis at 127.0.0.1:6379 (a queue name unique to
the test, its keys deleted afterwards), `cxloop worker` processes started and killed for real, and an SMTP server
(aiosmtpd) that can hold a conversation at a chosen message so a test can kill the worker right then."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import SecretStr

from cxloop.core.config import Settings
from cxloop.jobs.queue import JobQueue, build_huey
from tests.conftest import IN_CI

REDIS_URL = os.environ.get("CXLOOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # any client error means: no usable server
        return str(exc).splitlines()[0]
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class GatedRecorder:
    """Keeps every accepted message. `hold_rcpt_at=n`: the conversation of message n+1 stops at RCPT until
    `release` (it is never accepted if its sender dies meanwhile); `hold_data_at=n`: message n is accepted and
    recorded, but the server's 250 is held until `release`."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.hold_rcpt_at: int | None = None
        self.hold_data_at: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def _hold(self) -> None:
        self.holding.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.hold_rcpt_at is not None and len(self.envelopes) == self.hold_rcpt_at and not self.holding.is_set():
            await self._hold()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        if self.hold_data_at is not None and len(self.envelopes) == self.hold_data_at and not self.holding.is_set():
            await self._hold()
        return "250 Message accepted for delivery"

    def per_recipient(self) -> Counter[str]:
        return Counter(address for envelope in self.envelopes for address in envelope.rcpt_tos)


@dataclass
class SmtpServer:
    url: str
    recorder: GatedRecorder


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    recorder = GatedRecorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(f"smtp://127.0.0.1:{port}", recorder)
    finally:
        recorder.release.set()
        controller.stop()


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue_backend(request: pytest.FixtureRequest) -> str:
    """Huey's storage: SQLite in the data directory, or Redis (skipped locally when it does not answer)."""
    if request.param == "redis-queue":
        require_redis()
    return str(request.param)


def require_redis() -> None:
    """Skip the test when Redis does not answer; in CI (CI=true) fail instead, like PostgreSQL."""
    if problem := _redis_problem():
        if IN_CI:
            pytest.fail(f"Redis is required in CI but did not answer at {REDIS_URL}: {problem}")
        pytest.skip(f"Redis tests skipped: no server at {REDIS_URL} ({problem})")


@dataclass
class WorkerWorld:
    settings: Settings
    queue_name: str
    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def queue(self) -> JobQueue:
        return JobQueue(build_huey(self.settings, name=self.queue_name))

    def start_worker(self, *, workers: int = 2) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "cxloop", "worker", "--workers", str(workers), "--queue", self.queue_name]
        log = (self.logs / f"worker-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [*command, "--poll-interval", "0.05", "--no-periodic"], env=self.env, stdout=log, stderr=log
        )
        log.close()
        self.processes.append(process)
        return process

    def output(self) -> str:
        """What the workers printed (for assertion messages)."""
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(self.logs.glob("worker-*.log")))

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(10)


@pytest.fixture
def world(db_url: str, tmp_path: Path, queue_backend: str, smtp_server: SmtpServer) -> Iterator[WorkerWorld]:
    """Settings shared by this test process and its `cxloop worker` processes, and the processes to clean up."""
    redis_url = REDIS_URL if queue_backend == "redis-queue" else None
    settings = Settings(
        environment="test",
        database_url=db_url,
        data_dir=tmp_path / "data",
        redis_url=redis_url,
        smtp_url=smtp_server.url,
        secret_key=SecretStr("worker-test-secret"),
        public_url="https://feedback.example.com",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env.update(
        CXLOOP_ENVIRONMENT="test",
        CXLOOP_DATABASE_URL=db_url,
        CXLOOP_DATA_DIR=str(settings.data_dir),
        CXLOOP_SMTP_URL=smtp_server.url,
        CXLOOP_SECRET_KEY="worker-test-secret",
        CXLOOP_PUBLIC_URL=settings.public_url,
        CXLOOP_LOG_LEVEL="WARNING",
    )
    if redis_url:
        env["CXLOOP_REDIS_URL"] = redis_url
    state = WorkerWorld(settings, f"cxloop-test-{uuid.uuid4().hex[:12]}", env, tmp_path)
    yield state
    for process in state.processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    if redis_url:
        state.queue().huey.storage.flush_all()  # this test's keys only: they carry its queue name
