"""A real server and a real browser for tests: the app under uvicorn on a free port, and Debian's Chromium driven by
Playwright. Registered for every test by `pytest_plugins` in tests/conftest.py.

The browser cannot reach the TestClient, so `live_server` runs the real app under uvicorn in a thread on a free
port, on the test database. Chromium is Debian's (`make test` installs it): Playwright's own browser download is not
reachable here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from cxloop.app import create_app
from cxloop.core.config import Settings
from cxloop.storage.database import Database

CHROMIUM = Path("/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    app: FastAPI


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[LiveServer]:
    """The real app under uvicorn on a free port (in a thread), on the test database."""
    app = create_app(settings, database=db)
    port = free_port()
    # A page's open event stream would hold a graceful shutdown for the whole join timeout: cut it short.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright, one per test module. Not per session: Playwright's sync API
    keeps an asyncio loop running in the main thread while it is open, and tests elsewhere call asyncio.run()."""
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium is missing: run `make test` (it installs the chromium package) or apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)  # a loaded CI machine can take seconds to serve the first page
    yield page
    context.close()


def wait_until_serving(url: str, process: Any, *, log: Path | None = None, timeout: float = 60.0) -> None:
    """Wait until a `cxloop serve` subprocess at `url` answers its health check; fail with its log if it dies or
    does not answer within `timeout` seconds."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            said = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
            pytest.fail(f"cxloop serve did not start at {url}: {said}")
        time.sleep(0.2)


@contextmanager
def serve_process(
    db: Database, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`cxloop serve ARGS` (a separate process) on the test database, with extra CXLOOP_* variables `env`: its base
    URL once /api/v1/health answers, and the process. Its log goes to a file under `tmp_path` (shown if it does not
    start); it is stopped on leaving."""
    port = free_port()
    variables = {
        **os.environ,
        "CXLOOP_DATABASE_URL": db.url,
        "CXLOOP_DATA_DIR": str(tmp_path / "data"),
        "CXLOOP_ENVIRONMENT": "test",
        "CXLOOP_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    cxloop = Path(sys.executable).with_name("cxloop")
    log_path = tmp_path / f"serve-{port}.log"
    with log_path.open("wb") as log:
        command = [str(cxloop), "serve", "--port", str(port), *args]
        process = subprocess.Popen(command, env=variables, stdout=log, stderr=log)  # noqa: S603 (our own command)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base, process, log=log_path)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def serving(db: Database, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`serve_process`, for a test that needs only the base URL."""
    with serve_process(db, tmp_path, *args, env=env) as (base, _process):
        yield base
