"""The design keeps each routing engine (OR-Tools, PyVRP) inside one private adapter module."""

from __future__ import annotations

import ast
from pathlib import Path

import rounds

SRC = Path(rounds.__file__).parent


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_the_adapter_imports_ortools() -> None:
    offenders = [
        p.name
        for p in SRC.rglob("*.py")
        if "ortools" in imported_roots(p) and p.name != "_ortools.py"
    ]
    assert offenders == []
    assert "ortools" in imported_roots(SRC / "_ortools.py")


def test_checker_shares_no_scheduling_code_with_the_solver() -> None:
    imports = ast.parse((SRC / "check.py").read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(imports) if isinstance(n, ast.ImportFrom)}
    assert not modules & {"rounds.solve", "rounds._ortools", "rounds.kpis", "rounds.reasons"}


def test_only_the_pyvrp_adapter_imports_pyvrp() -> None:
    offenders = [
        p.name for p in SRC.rglob("*.py") if "pyvrp" in imported_roots(p) and p.name != "_pyvrp.py"
    ]
    assert offenders == []
    assert "pyvrp" in imported_roots(SRC / "_pyvrp.py")
