"""Data flows one way: each package imports only the layers the architecture allows (ARCHITECTURE.md table)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "accelsim"

# module (package or top-level module) -> accelsim modules it may import; "errors" and "units" are leaf utilities
ALLOWED: dict[str, set[str]] = {
    "units": set(),
    "errors": set(),
    "config": {"units", "errors", "config"},
    "workload": {"config", "errors", "workload"},
    "compiler": {"workload", "config", "errors", "compiler"},
    "kernels": {"kernels"},
    "engine": {"kernels", "compiler.isa", "config", "errors", "engine"},
    "stats": {"config", "stats", "errors"},
    "formats": {"kernels", "errors"},
    "cli_numerics": {"*"},
    "validate": {"*"},
    "simulate": {"*"},
    "compare": {"*"},
    "cli": {"*"},
    "dse": {"*"},
    "plots": {"stats", "errors", "dse.pareto"},
    "functional": {"kernels", "workload", "config", "errors", "functional", "formats"},
    "__init__": set(),
}
THIRD_PARTY_KERNELS = {"numpy", "numba", "math", "__future__", "typing"}


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(accelsim modules, top-level third-party modules) imported by ``path``."""
    rel = path.relative_to(PKG).with_suffix("")
    pkg_parts = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    internal, external = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
                if not mod:
                    for alias in node.names:
                        internal.add(alias.name)
                    continue
                internal.add(mod)
            elif node.module and node.module.startswith("accelsim"):
                internal.add(node.module.removeprefix("accelsim").lstrip(".") or "__init__")
            elif node.module:
                external.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("accelsim"):
                    internal.add(alias.name.removeprefix("accelsim").lstrip("."))
                else:
                    external.add(alias.name.split(".")[0])
    return internal, external


def _allowed(owner: str, target: str) -> bool:
    allowed = ALLOWED[owner]
    if "*" in allowed:
        return True
    return any(target == a or target.startswith(a + ".") for a in allowed)


def test_layering() -> None:
    problems = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        owner = rel.parts[0]
        internal, external = _imports(path)
        for target in internal:
            if not _allowed(owner, target):
                problems.append(f"{rel}: imports accelsim.{target}")
        if owner == "kernels":
            bad = external - THIRD_PARTY_KERNELS
            if bad:
                problems.append(f"{rel}: kernels may import numpy/numba only, found {sorted(bad)}")
    assert not problems, "\n".join(problems)


def test_jitted_code_lives_in_kernels() -> None:
    for path in PKG.rglob("*.py"):
        if path.relative_to(PKG).parts[0] == "kernels":
            continue
        assert "njit" not in path.read_text() and "numba" not in path.read_text().replace("Numba", ""), path
