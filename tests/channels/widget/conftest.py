"""Fixtures for the widget: live surveys and sites, a real server, a host page on another origin, and Chromium.

The browser cannot reach the TestClient, so `live_server` runs the real app under uvicorn in a thread on a free
port, on the test database. `host_page` serves plain HTML pages from a second port (another origin, as a customer's
site is). Chromium is Debian's (`make test` installs it): Playwright's own browser download is not reachable here.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.app import create_app
from cxloop.collection.models import Response
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.schemas import SurveyCreate
from cxloop.surveys.templates import get_template

CHROMIUM = Path("/usr/bin/chromium")
PAGE_ORIGIN = "http://127.0.0.1:{port}"
# A 1x1 PNG: what a screenshot looks like to the magic-byte check.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def live_survey(db: Database, template: str, *, key: str | None = None, **changes: Any) -> int:
    data = get_template(template).model_copy(update={"status": SurveyStatus.live, "key": key or template, **changes})
    with db.unit_of_work() as session:
        return surveys.create_survey(session, data=data).id


def feedback_survey(db: Database, key: str = "site-feedback") -> int:
    """A 1-5 rating with a comment whose wording depends on the rating."""
    definition = {
        "questions": [
            {"id": "rating", "kind": "rating", "scale": 5, "text": {"en": "How is this page?", "de": "Wie ist es?"}},
            {
                "id": "wrong",
                "kind": "text",
                "text": {"en": "What went wrong?"},
                "show_if": {"question": "rating", "op": "<=", "value": 3},
            },
            {"id": "note", "kind": "text", "text": {"en": "Anything else?"}},
        ]
    }
    data = SurveyCreate.model_validate({"key": key, "name": key, "status": "live", "definition": definition})
    with db.unit_of_work() as session:
        return surveys.create_survey(session, data=data).id


def create_site(api: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Shop", "allowed_origins": ["http://shop.example"], **fields}
    answer = api.post("/api/v1/widget-sites", json=body)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def responses(db: Database) -> list[Response]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(Response).order_by(Response.id)).all())


@dataclass
class LiveServer:
    url: str
    app: FastAPI


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[LiveServer]:
    """The real app under uvicorn on a free port (in a thread), on the test database."""
    app = create_app(settings, database=db)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off")
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


@dataclass
class HostPage:
    """Pages of a customer's site, served from their own origin; `add(path, html)` publishes one."""

    origin: str
    pages: dict[str, str]

    def add(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.origin + path


@pytest.fixture
def host_page() -> Iterator[HostPage]:
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            html = pages.get(self.path.split("?", 1)[0])
            body = (html or "not found").encode()
            self.send_response(200 if html else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield HostPage(PAGE_ORIGIN.format(port=server.server_address[1]), pages)
    server.shutdown()
    server.server_close()


def embed_page(server_url: str, site_key: str, *, head: str = "", body: str = "", lang: str = "en") -> str:
    """A plain page of the customer's site embedding the widget with the documented script tag."""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title>{head}</head><body>'
        f'<h1>Shop</h1>{body}<script src="{server_url}/widget.js" data-site-key="{site_key}" async></script>'
        "</body></html>"
    )


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
    page.set_default_timeout(10_000)
    yield page
    context.close()


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy (the browser and server work in their own threads)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)
