"""The trigger tests record queued jobs here; surveys and rules come from tests/factories/triggers.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cxloop.jobs import dispatch
from cxloop.storage.database import Database
from tests.factories.triggers import live_survey, make_rule

# Kept importable from here for tests written before the factories moved.
__all__ = ["live_survey", "make_rule", "queued"]


@pytest.fixture
def queued(db: Database) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The jobs this process queues, recorded here instead of going to a Huey queue (after `db`, whose wiring
    installs the real one)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    previous = dispatch.installed()
    dispatch.install(lambda name, payload: calls.append((name, payload)))
    yield calls
    dispatch.install(previous)
