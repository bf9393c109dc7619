"""Domains keep to their own tables (STYLE.md): the import-linter baseline of exceptions may only shrink.

pyproject.toml has one `protected` contract per domain's `models`; its `ignore_imports` lists the modules of other
domains that still import them. These tests fail when a listed exception no longer exists (delete its line) and
when the list grows past the ceiling (move the code behind the owner's service instead of listing it), and when a
domain's `models` has no contract.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import grimp

# The number of exceptions listed today. Lower it when you remove some; never raise it.
CEILING = 25


def _protected() -> list[dict[str, Any]]:
    config = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    return [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "protected"]


def _exceptions() -> list[tuple[str, str]]:
    found = []
    for contract in _protected():
        for line in contract.get("ignore_imports", []):
            importer, _, imported = (part.strip() for part in line.partition("->"))
            found.append((importer, imported))
    return found


def test_every_listed_exception_still_exists() -> None:
    graph = grimp.build_graph("cxloop")
    gone = [f"{a} -> {b}" for a, b in _exceptions() if not graph.direct_import_exists(importer=a, imported=b)]
    assert not gone, f"fixed, so delete these lines from pyproject.toml and lower CEILING: {gone}"


def test_the_baseline_only_shrinks() -> None:
    exceptions = _exceptions()
    assert exceptions, "the contracts are missing from pyproject.toml"
    assert all(b.endswith(".models") and not a.startswith(b.removesuffix(".models") + ".") for a, b in exceptions)
    assert len(exceptions) <= CEILING, "call the owning domain's service instead of listing a new exception"
    assert len(exceptions) == CEILING, f"the baseline shrank: lower CEILING to {len(exceptions)}"


def test_every_domains_models_are_protected() -> None:
    graph = grimp.build_graph("cxloop")
    models = {module for module in graph.modules if module.endswith(".models")}
    protected = {module for contract in _protected() for module in contract["protected_modules"]}
    assert models == protected, f"add a protected contract to pyproject.toml for: {sorted(models - protected)}"
