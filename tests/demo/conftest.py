from __future__ import annotations

from datetime import date

import pytest

from cxloop.demo.period import DemoPeriod
from cxloop.demo.world import DemoWorld, simulate_world
from tests.demo.realism_report import default_policy

ANCHOR = date(2025, 6, 1)


@pytest.fixture(scope="session")
def world() -> DemoWorld:
    """A simulated year of 2,500 customers (no database), shared by the pure tests."""
    return simulate_world(5, customers=2500, period=DemoPeriod.ending(ANCHOR, 12), policy=default_policy())
