"""`cxloop --help` and every `cxloop <command> --help` start without the heavy libraries (issue 11: under 0.5 s).

Not timed (speed is measured in docs/benchmarks.md): each check runs Python with `-X importtime` in a subprocess and
asserts which modules were imported.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from cxloop.cli import export_rows, exporting, import_files, importing
from cxloop.cli.main import COMMANDS, app, load_command

# Not pydantic: typer 0.29 imports it itself to build a command's options (typer._adapters).
HEAVY = ("sqlalchemy", "fastapi", "starlette", "uvicorn", "pydantic_settings", "alembic", "huey", "jinja2")


def _imported(*args: str) -> set[str]:
    code = "import sys; sys.argv = ['cxloop', *sys.argv[1:]]; from cxloop.cli.main import main; main()"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY}


def test_cxloop_help_imports_no_command_and_no_heavy_library() -> None:
    modules = _imported("--help")
    assert _heavy(modules) == set()
    assert {m for m in modules if m.startswith("cxloop.cli.")} == {"cxloop.cli.main"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_help_imports_no_heavy_library(command: str) -> None:
    assert _heavy(_imported(command, "--help")) == set()


def test_the_listed_help_is_the_start_of_each_commands_own_help() -> None:
    for name, lazy in COMMANDS.items():
        own = " ".join((load_command(name).help or "").split())
        assert own.startswith(lazy.help), (name, own)


def test_the_thin_command_modules_name_every_import_and_export() -> None:
    assert list(importing.COMMANDS) == [kind.name for kind in import_files.KINDS]
    assert list(exporting.COMMANDS) == [export.name for export in export_rows.EXPORTS]


def test_unknown_commands_and_subcommands_still_get_click_errors() -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["frobnicate"])
    assert unknown.exit_code == 2 and "No such command" in unknown.output
    listed = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and all(name in listed.output for name in COMMANDS)
    assert isinstance(load_command("api-key"), typer.core.TyperGroup)
