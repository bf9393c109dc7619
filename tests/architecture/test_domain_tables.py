"""Domains keep to their own tables (STYLE.md): no domain imports another domain's models, with no exceptions.

pyproject.toml has one `protected` contract per domain's `models`; `lint-imports` (in `make check`) enforces them.
These tests keep the set-up honest: every domain's `models` has a contract, no contract lists exceptions
(`ignore_imports`), and the one relaxation, imports under `if TYPE_CHECKING:`, stays type-only: such a module names
the type of a row the owner's service returned, it does not query the table.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

import grimp

ROOT = Path(__file__).parents[2]
SOURCE = ROOT / "src"


def _config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return config


def _protected() -> list[dict[str, Any]]:
    return [c for c in _config()["contracts"] if c["type"] == "protected"]


def test_no_contract_lists_exceptions() -> None:
    listed = {c["name"]: c["ignore_imports"] for c in _config()["contracts"] if c.get("ignore_imports")}
    assert not listed, f"call the owning domain's service instead of listing an exception: {listed}"


def test_every_domains_models_are_protected() -> None:
    graph = grimp.build_graph("cxloop")
    models = {module for module in graph.modules if module.endswith(".models")}
    protected = {module for contract in _protected() for module in contract["protected_modules"]}
    assert models == protected, f"add a protected contract to pyproject.toml for: {sorted(models - protected)}"


def _names_used_at_run_time(tree: ast.Module) -> set[str]:
    """Names read anywhere outside annotations and outside the TYPE_CHECKING block."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped.update(id(child) for child in ast.walk(node))
        for annotation in _annotations(node):
            skipped.update(id(child) for child in ast.walk(annotation))
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in skipped}


def _annotations(node: ast.AST) -> list[ast.expr]:
    found: list[ast.expr] = []
    if isinstance(node, ast.AnnAssign):
        found.append(node.annotation)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        found.extend(a.annotation for a in ast.walk(node.args) if isinstance(a, ast.arg) and a.annotation)
        if node.returns is not None:
            found.append(node.returns)
    return found


def test_type_checking_imports_of_other_domains_models_are_only_named_in_annotations() -> None:
    misused = []
    for path in (SOURCE / "cxloop").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        module = ".".join(path.relative_to(SOURCE).with_suffix("").parts)
        typed: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                for child in ast.walk(node):
                    owner = getattr(child, "module", None) or ""
                    other_domain = not module.startswith(owner.removesuffix(".models") + ".")
                    if isinstance(child, ast.ImportFrom) and owner.endswith(".models") and other_domain:
                        typed.update(alias.asname or alias.name for alias in child.names)
        used = typed & _names_used_at_run_time(tree)
        if used:
            misused.append(f"{module}: {sorted(used)}")
    assert not misused, f"these use another domain's models at run time; call its service instead: {misused}"
