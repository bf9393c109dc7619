"""Fixtures for the widget: live surveys and sites and a host page on another origin. The real server and Chromium
(`live_server`, `browser`, `page`) come from tests/live.py.

`host_page` serves plain HTML pages from a second port (another origin, as a customer's site is).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cxloop.collection.models import Response
from cxloop.storage.database import Database
from cxloop.surveys import service as surveys
from cxloop.surveys.enums import SurveyStatus
from cxloop.surveys.schemas import SurveyCreate
from cxloop.surveys.templates import get_template
from tests.live import free_port

PAGE_ORIGIN = "http://127.0.0.1:{port}"
# A 1x1 PNG: what a screenshot looks like to the magic-byte check.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)


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


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy (the browser and server work in their own threads)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)
