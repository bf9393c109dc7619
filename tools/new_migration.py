"""Autogenerate an Alembic migration from the current models against a scratch SQLite database at head.

Usage: python -m tools.new_migration "what changed"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from cxloop.migrations import alembic_config, upgrade


def main() -> None:
    message = " ".join(sys.argv[1:]).strip()
    if not message:
        raise SystemExit('usage: make migration m="what changed"')
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        upgrade(url)
        command.revision(alembic_config(url), message=message, autogenerate=True)


if __name__ == "__main__":
    main()
