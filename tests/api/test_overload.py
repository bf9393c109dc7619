"""api/overload.py: beyond the in-flight bound a process answers 503 at once; what it let in completes and is stored.

The app runs under uvicorn (tests/live.py) with a bound of 3. The writer thread is held busy by a write that waits
for the test, so the POSTs let in stay in flight for as long as the test wants: no timing, no sleeps.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy.orm import Session

from cxloop.access.enums import Role
from cxloop.api.overload import LoadShedding
from cxloop.core.config import Settings
from cxloop.storage.database import Database
from tests.collection.conftest import count_responses
from tests.conftest import make_key
from tests.factories.surveys import make_survey
from tests.live import LiveServer

BOUND = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_in_flight": BOUND})


def _shedding(live_server: LiveServer) -> LoadShedding:
    layer = live_server.app.middleware_stack
    while not isinstance(layer, LoadShedding):
        layer = layer.app  # type: ignore[union-attr]
    return layer


@contextmanager
def held_writer(live_server: LiveServer) -> Iterator[threading.Event]:
    """The app's writer busy with a write that ends when the event is set (or after 30 s)."""
    release = threading.Event()
    writer = live_server.app.state.writer

    def hold(_: Session) -> None:
        release.wait(30)

    holder = threading.Thread(target=writer.run_blocking, args=(hold,))
    holder.start()
    yield release
    release.set()
    holder.join(timeout=30)


def test_over_the_bound_503_at_once_and_every_request_let_in_is_stored(live_server: LiveServer, db: Database) -> None:
    make_survey(db)
    headers = make_key(db, Role.agent)
    answers: list[int] = []

    def post(score: int) -> None:
        with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as client:
            answers.append(client.post("/api/v1/responses", json={"survey": "rnps", "nps": score}).status_code)

    # Warm up: the first API request builds the middleware stack.
    assert httpx.get(f"{live_server.url}/api/v1/health").status_code == 200
    shedding = _shedding(live_server)
    posters = [threading.Thread(target=post, args=(score,)) for score in range(BOUND)]
    with held_writer(live_server) as release:
        for poster in posters:
            poster.start()
        deadline = time.monotonic() + 20
        while shedding.in_flight < BOUND:  # each POST waits for the writer, in flight
            assert time.monotonic() < deadline and all(poster.is_alive() for poster in posters), answers
            time.sleep(0.01)

        with httpx.Client(base_url=live_server.url, headers=headers, timeout=5) as client:
            refused = client.post("/api/v1/responses", json={"survey": "rnps", "nps": 10})
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "1"
            assert refused.json() == {"detail": "the server is busy; try again in a moment", "errors": []}
            assert refused.elapsed.total_seconds() < 1
            assert client.get("/api/v1/responses").status_code == 503  # reads too: the bound counts every request
            health = client.get("/api/v1/health")  # never refused: an orchestrator sees the process alive
            assert health.status_code == 200
        assert shedding.in_flight == BOUND
        release.set()
        for poster in posters:
            poster.join(timeout=30)
    assert answers == [201] * BOUND
    assert count_responses(db) == BOUND
    assert shedding.in_flight == 0
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=5) as client:
        assert client.post("/api/v1/responses", json={"survey": "rnps", "nps": 10}).status_code == 201
    assert count_responses(db) == BOUND + 1


def test_a_bound_of_zero_sheds_nothing(settings: Settings) -> None:
    assert Settings(max_in_flight=0).max_in_flight == 0
    assert settings.max_in_flight == BOUND
    assert Settings().max_in_flight == 128  # the documented default (docs/deployment.md)


def test_live_streams_are_not_counted_in_the_bound(live_server: LiveServer, db: Database) -> None:
    headers = make_key(db, Role.viewer)
    assert httpx.get(f"{live_server.url}/api/v1/health").status_code == 200  # builds the middleware stack
    shedding = _shedding(live_server)
    url = f"{live_server.url}/api/v1/stream"
    with contextlib.ExitStack() as open_streams:
        streams = [
            open_streams.enter_context(
                httpx.stream("GET", url, headers=headers, params={"max_seconds": 20}, timeout=30)
            )
            for _ in range(BOUND + 1)
        ]
        lines = [stream.iter_lines() for stream in streams]  # kept: an iterator dropped closes its response
        assert all(next(line).startswith("retry: ") for line in lines)
        assert shedding.in_flight == 0 and live_server.app.state.stream_hub.open_streams == BOUND + 1
        assert httpx.get(f"{live_server.url}/api/v1/customers", headers=headers, timeout=10).status_code == 200
