"""`cxloop demo`: build the demo organisation."""

from __future__ import annotations


def demo() -> None:
    """Build the demo organisation (not written yet)."""
    raise NotImplementedError
