"""`cxloop serve` and `cxloop init` as a new user meets them: the worker beside the server, links that follow the
address, one `make run` key at a time, and start-up problems told in plain words (never a traceback)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.cli.processes import command_env, fresh_clone_env, run_cxloop
from tests.conftest import POSTGRES_ADMIN_URL
from tests.live import free_port, wait_until_serving


def _plain_failure(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    said = " ".join((result.stdout + result.stderr).split())
    assert "Traceback" not in said, said
    for words in expected:
        assert words in said, said


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[str]]]:
    env = fresh_clone_env(tmp_path)  # `make run`: serve on loopback, the embedded database, no CXLOOP_ENVIRONMENT
    assert run_cxloop(env, "init").returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cxloop", "serve", "--port", str(port), "--with-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, server)
    yield url, env, server
    server.terminate()
    server.wait(timeout=30)
    assert server.stdout is not None
    server.stdout.close()


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(
                    (int(stat.parent.name), (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
                )
        except (OSError, IndexError, ValueError):
            continue
    return found


def _state(pid: int) -> str:
    """The process state letter (Z: a zombie, already dead), or '' once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def test_serve_with_worker_runs_one_and_links_follow_the_port(
    served: tuple[str, dict[str, str], subprocess.Popen[str]],
) -> None:
    url, env, server = served
    (worker,) = [pid for pid, command in _children(server.pid) if "cxloop worker" in command]  # beside the server
    key = run_cxloop(env, "api-key", "create", "--name", "t", "--role", "admin").stdout.strip().splitlines()[-1]
    site = httpx.post(
        f"{url}/api/v1/widget-sites",
        json={"name": "Shop", "allowed_origins": ["http://shop.example"]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert site.status_code == 201, site.text
    assert f'src="{url}/widget.js"' in site.json()["embed"]
    server.terminate()  # as systemd or `kill` stop it
    server.wait(timeout=30)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{worker}").exists() and _state(worker) != "Z":
        assert time.monotonic() < deadline, "the worker outlived the server"
        time.sleep(0.1)


def test_serve_without_worker_says_nothing_will_be_sent(tmp_path: Path) -> None:
    env = command_env(tmp_path)
    assert run_cxloop(env, "init").returncode == 0
    command = [sys.executable, "-m", "cxloop", "serve", "--port", str(free_port())]
    with subprocess.Popen(command, env={**env, "COLUMNS": "300"}, stdout=subprocess.PIPE, text=True) as server:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(3)]
        server.terminate()
    said = "".join(lines)
    assert "no worker runs beside this server" in said and "--with-worker" in said, said
    assert _children(server.pid) == []


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:  # the port is in use: serve stops at once, after saying why
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = run_cxloop(command_env(tmp_path), "serve", "--port", str(port))
    _plain_failure(result, f"port {port} on 127.0.0.1 is in use", f"--port {port + 1}")


def test_a_weak_secret_in_production_is_refused_without_echoing_it(tmp_path: Path) -> None:
    env = command_env(tmp_path, CXLOOP_ENVIRONMENT="production", CXLOOP_SECRET_KEY="changeme")
    result = run_cxloop(env, "init")
    _plain_failure(result, "CXLOOP_SECRET_KEY")
    assert "changeme" not in result.stdout + result.stderr


WEAK = "weak-secret-weak-secret-weak-secret"  # 36 characters, one phrase repeated


def test_without_an_environment_serving_beyond_loopback_holds_the_production_rules(tmp_path: Path) -> None:
    env = fresh_clone_env(tmp_path, CXLOOP_SECRET_KEY=WEAK)
    assert run_cxloop(env, "init").returncode == 0  # the embedded database, used from this machine
    result = run_cxloop(env, "serve", "--host", "0.0.0.0", "--port", str(free_port()))  # noqa: S104
    _plain_failure(result, "serving on 0.0.0.0: CXLOOP_SECRET_KEY is too weak for production", "too predictable")
    assert WEAK not in result.stdout + result.stderr and "weak-secret" not in result.stdout + result.stderr


def test_without_an_environment_postgresql_holds_the_production_rules(tmp_path: Path) -> None:
    env = fresh_clone_env(tmp_path, CXLOOP_DATABASE_URL="postgresql://postgres@127.0.0.1:1/cxloop")
    result = run_cxloop(env, "init")  # refused before any connection is tried
    _plain_failure(result, "CXLOOP_SECRET_KEY is too weak for production", "CXLOOP_ENVIRONMENT is unset")
    assert "development-only-secret" not in result.stdout + result.stderr


def test_an_unreachable_database_is_named(tmp_path: Path) -> None:
    env = command_env(tmp_path, CXLOOP_DATABASE_URL="postgresql://postgres@127.0.0.1:1/cxloop")
    _plain_failure(run_cxloop(env, "init"), "cannot reach PostgreSQL at 127.0.0.1:1")


def test_a_missing_postgres_database_can_be_created_by_init(tmp_path: Path, postgres_url: str) -> None:
    """(`postgres_url`: skipped without a server outside CI, as every PostgreSQL test.)"""
    name = f"cxloop_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    env = command_env(tmp_path, CXLOOP_DATABASE_URL=url)
    try:
        _plain_failure(run_cxloop(env, "init"), f"the PostgreSQL database '{name}' does not exist", "--create-database")
        created = run_cxloop(env, "init", "--create-database")
        assert created.returncode == 0, created.stderr
        assert "database ready" in created.stdout
    finally:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_make_run_key_replaces_the_previous_one(tmp_path: Path) -> None:
    env = fresh_clone_env(tmp_path)
    assert run_cxloop(env, "init").returncode == 0
    for _ in range(3):
        made = run_cxloop(env, "api-key", "create", "--name", "make run", "--role", "admin", "--replace")
        assert made.returncode == 0, made.stderr
    listing = run_cxloop(env, "api-key", "list").stdout
    rows = [line for line in listing.splitlines() if "make run" in line]
    assert len(rows) == 3
    assert sum(line.rstrip(" │|").endswith("-") for line in rows) == 1, listing  # one key is not revoked
