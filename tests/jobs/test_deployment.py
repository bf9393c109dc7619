"""The production shape of docs/deployment.md, for real: PostgreSQL, Redis, two `cxloop serve` processes and two
`cxloop worker` processes (with their periodic sweeps on). Events arrive at both servers, each twice; every customer
gets exactly one invitation and one email."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from cxloop.access.enums import Role
from cxloop.invitations.models import Invitation
from cxloop.storage.database import Database
from tests.conftest import make_key
from tests.factories.customers import make_customer
from tests.factories.triggers import live_survey, make_rule
from tests.jobs.conftest import SmtpServer, WorkerWorld, wait_for
from tests.live import free_port, wait_until_serving

CUSTOMERS = 20


@pytest.fixture
def servers(world: WorkerWorld, tmp_path: Path) -> Iterator[list[str]]:
    env = {**world.env, "CXLOOP_JOBS_QUEUE": world.queue_name}
    ports = [free_port(), free_port()]
    processes = []
    for n, port in enumerate(ports):
        log = (tmp_path / f"serve-{n}.log").open("wb")
        command = [sys.executable, "-m", "cxloop", "serve", "--port", str(port)]
        processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
        log.close()
    for n in range(2):  # workers as deployed: several threads and the periodic sweeps on in both
        command = [sys.executable, "-m", "cxloop", "worker", "--workers", "2", "--queue", world.queue_name]
        log = (tmp_path / f"worker-{n}.log").open("wb")
        world.processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
        log.close()
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    for n, (url, process) in enumerate(zip(urls, processes, strict=True)):
        wait_until_serving(url, process, log=tmp_path / f"serve-{n}.log")
    yield urls
    for process in processes:
        process.terminate()
        process.wait(30)


def _invitations(db: Database) -> dict[str, int]:
    with db.unit_of_work() as session:
        return dict(session.execute(select(Invitation.status, func.count()).group_by(Invitation.status)).all())


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("queue_backend", ["redis-queue"], indirect=True)
def test_two_servers_and_two_workers_fire_each_trigger_once(
    db: Database, world: WorkerWorld, servers: list[str], smtp_server: SmtpServer
) -> None:
    with db.unit_of_work() as session:
        survey = live_survey(session)
        for n in range(CUSTOMERS):
            make_customer(session, external_id=f"c-{n}", email=f"customer{n}@example.com")
        make_rule(session, survey, kind="event", event_name="ticket_solved")
    headers = make_key(db, Role.agent)
    for n in range(CUSTOMERS):
        event = {"customer_external_id": f"c-{n}", "name": "ticket_solved", "external_id": f"ticket-{n}"}
        for url in (servers[n % 2], servers[(n + 1) % 2]):  # each event twice, once to each server
            answer = httpx.post(f"{url}/api/v1/events", json=event, headers=headers)
            assert answer.status_code < 300, answer.text
    wait_for(lambda: _invitations(db) == {"sent": CUSTOMERS}, timeout=60, what=f"{CUSTOMERS} sent: {world.output()}")
    time.sleep(2)  # a duplicate, if any, would be sent now
    assert _invitations(db) == {"sent": CUSTOMERS}
    counts = smtp_server.recorder.per_recipient()
    assert len(counts) == CUSTOMERS and set(counts.values()) == {1}
