"""`cxloop` as a separate process, as a user runs it: an environment of its own and its output captured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def command_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """This process's environment without its CXLOOP_* variables, a data directory under `tmp_path`, and these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    return {**env, "CXLOOP_DATA_DIR": str(tmp_path / "data"), "CXLOOP_ENVIRONMENT": "development", **variables}


def fresh_clone_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """`command_env` as after a fresh clone: no CXLOOP_ENVIRONMENT (production unless local, core/config.py)."""
    env = command_env(tmp_path, **variables)
    del env["CXLOOP_ENVIRONMENT"]
    return env


def run_cxloop(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cxloop", *args], env=env, capture_output=True, text=True, timeout=120)
