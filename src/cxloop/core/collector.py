"""The cyclic garbage collector's thresholds for cxloop's processes, in one place.

A process that loads the app holds hundreds of thousands of long-lived objects (modules, the app, SQLAlchemy's
caches); with Python's default threshold (700) the collector rescans them over and over, while they load and on
every full collection afterwards. The server's processes (app.py) and every CLI command (cli/main.py) collect the
young generation less often instead; most short-lived objects are freed by reference counting anyway.
"""

from __future__ import annotations

LONG_LIVED_THRESHOLDS = (50_000, 20, 100)
