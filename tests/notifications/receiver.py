"""A real HTTP receiver for the notification tests: a threaded server on a free local port that records every
request and answers from a script (200, 500, hang, Slack's answers), as a webhook receiver or Slack would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.live import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """What to answer: `hang` seconds of silence first (the connection held open), then the status, body, headers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0


class Receiver:
    """Answers with `script` in order (then `default`); `started` lists every request, `requests` those answered
    with a 2xx (a hanging one counts once its answer is due)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.script: list[Reply] = []
        self.default = Reply(200, b"ok")
        self.requests: list[Received] = []
        self.started: list[Received] = []
        self.release = threading.Event()  # set to end every hang at once
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                got = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    receiver.started.append(got)
                    reply = receiver.script.pop(0) if receiver.script else receiver.default
                if reply.hang:
                    receiver.release.wait(reply.hang)
                if 200 <= reply.status < 300:  # recorded before answering: the sender may look right after
                    with receiver._lock:
                        receiver.requests.append(got)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the sender gave up waiting and closed the connection
                    return

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()
