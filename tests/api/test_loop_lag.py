"""api/loop_lag.py and the shedding on it (api/overload.py): a process whose event loop runs late refuses new
requests while one of its own is in flight, and takes one at a time when none is."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi.testclient import TestClient

from cxloop.api.loop_lag import LoopLag
from cxloop.api.overload import LoadShedding
from cxloop.app import create_app
from cxloop.core.config import Settings
from cxloop.storage.database import Database


def test_a_blocked_loop_is_measured_late() -> None:
    async def scenario() -> float:
        lag = LoopLag(interval=0.005)
        lag.start()
        await asyncio.sleep(0.03)
        calm = lag.seconds
        time.sleep(0.1)  # blocks the loop, as a long piece of work on it would
        worst, deadline = 0.0, time.monotonic() + 0.5
        while time.monotonic() < deadline and worst < 0.08:
            await asyncio.sleep(0)
            worst = max(worst, lag.seconds)
        await lag.stop()
        assert calm < 0.05
        return worst

    assert asyncio.run(scenario()) >= 0.08


async def _call(shedding: LoadShedding, path: str = "/api/v1/responses") -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "path": path, "method": "POST", "headers": [], "query_string": b""}
    await shedding(scope, receive, send)  # type: ignore[arg-type]
    return int(sent[0]["status"])


async def _ok(_scope: Any, _receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_late_loop_with_a_request_in_flight_refuses_and_none_in_flight_admits() -> None:
    lag = LoopLag()
    shedding = LoadShedding(_ok, max_in_flight=128, max_loop_lag=0.02, loop_lag=lag)
    lag.seconds = 0.05  # 50 ms late
    assert asyncio.run(_call(shedding)) == 201  # nothing of its own in flight: the loop is slowed by something else
    shedding.in_flight = 1
    assert asyncio.run(_call(shedding)) == 503
    assert asyncio.run(_call(shedding, "/api/v1/health")) == 201  # health checks are never refused
    lag.seconds = 0.01  # caught up
    assert asyncio.run(_call(shedding)) == 201


def test_a_lag_bound_of_zero_watches_nothing() -> None:
    lag = LoopLag()
    shedding = LoadShedding(_ok, max_in_flight=0, max_loop_lag=0, loop_lag=lag)
    lag.seconds, shedding.in_flight = 5.0, 10
    assert asyncio.run(_call(shedding)) == 201


def test_the_app_watches_its_loop_while_it_runs_when_the_setting_is_on(settings: Settings, db: Database) -> None:
    assert Settings.model_fields["max_loop_lag_ms"].default == 0  # off unless asked (docs/deployment.md)
    on = create_app(settings.model_copy(update={"max_loop_lag_ms": 20}), database=db)
    with TestClient(on) as client:
        assert client.get("/api/v1/health").status_code == 200
        assert on.state.loop_lag._task is not None
    assert on.state.loop_lag._task is None  # stopped with the app
    off = create_app(settings.model_copy(update={"max_loop_lag_ms": 0}), database=db)
    with TestClient(off) as client:
        assert client.get("/api/v1/health").status_code == 200
        assert off.state.loop_lag._task is None
