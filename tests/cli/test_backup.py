"""`cxloop backup` copies the SQLite database while it is in use, and refuses what it cannot do in plain words."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from pathlib import Path

from sqlalchemy import text

from cxloop.storage.database import Database
from tests.cli.processes import command_env, run_cxloop


def _cxloop(tmp_path: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = command_env(tmp_path, **({"CXLOOP_DATABASE_URL": url} if url else {}))
    return run_cxloop(env, *args)


def test_backup_while_writes_go_on_is_a_consistent_copy(tmp_path: Path) -> None:
    assert _cxloop(tmp_path, "init").returncode == 0
    database = Database(f"sqlite:///{tmp_path / 'data' / 'cxloop.db'}")
    stop = threading.Event()

    def keep_writing() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with database.unit_of_work(write=True) as session:
                session.execute(
                    text("INSERT INTO journeys (key, name, description, is_default) VALUES (:k, 'x', '', false)"),
                    {"k": f"j-{n}"},
                )

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        made = _cxloop(tmp_path, "backup", "--to", str(tmp_path / "copy.db"))
    finally:
        stop.set()
        writer.join()
        database.dispose()
    assert made.returncode == 0, made.stderr
    assert "backed up" in made.stdout
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM journeys").fetchone()[0] >= 1
    again = _cxloop(tmp_path, "backup", "--to", str(tmp_path / "copy.db"))
    assert again.returncode == 1 and "exists already" in again.stderr


def test_backup_of_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    refused = _cxloop(tmp_path, "backup", "--to", str(tmp_path / "x.db"), url="postgresql://u@127.0.0.1:1/x")
    assert refused.returncode == 1 and "pg_dump" in refused.stderr
