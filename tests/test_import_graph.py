"""The import graph: no cycles, and no import runs back up the layers.

Read from the source with ast (nothing is imported), module by module, including imports
inside functions: a lazy import that closes a cycle is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("components", "offline", "tools", "devtools")
# The pack runs from policy/ with its own sys.path: `policies.*` and `vendored.*` are top level.
PACK = ROOT / "policy"


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {module_name(p, ROOT): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    found |= {module_name(p, PACK): p for p in PACK.rglob("*.py") if ".venv" not in p.parts}
    # The two entry points, named apart: the Pulumi program and the pack's.
    found["program"] = ROOT / "__main__.py"
    found["pack_main"] = found.pop("__main__")
    return found


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules a module imports (a package import counts as its __init__)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for candidate in candidates:
            # the longest known module the name starts with: `a.b.c` is a.b.c, else a.b, else a
            parts = candidate.split(".")
            for end in range(len(parts), 0, -1):
                if ".".join(parts[:end]) in known:
                    targets.add(".".join(parts[:end]))
                    break
    targets.discard(name)
    return targets


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(name, path, known) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"b"}}) == []


def test_relative_imports_resolve_to_project_modules(tmp_path):
    source = tmp_path / "run.py"
    source.write_text("from .records import X\nfrom ..cli import fail\nimport offline.engine\n")
    known = {"offline.engine", "offline.engine.records", "offline.cli"}
    assert imported("offline.engine.run", source, known) == {"offline.engine.records", "offline.cli", "offline.engine"}


def test_there_are_no_import_cycles():
    assert cycles(graph()) == []


# What each layer may import (of the project's own modules): configuration, sizing and task
# rendering know nothing of the commands; the pack stands apart and sees only its own modules.
ALLOWED = {
    "components": ("components",),
    "offline": ("components", "offline"),
    "tools": ("components", "offline", "tools"),
    "devtools": ("devtools",),
    "policies": ("policies", "vendored"),
    "vendored": ("vendored",),
    "program": ("components",),
    "pack_main": ("policies",),
}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_no_import_runs_back_up(layer):
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in graph().items()
        if name.split(".")[0] == layer
        for target in targets
        if target.split(".")[0] not in ALLOWED[layer]
    )
    assert wrong == []


def test_the_layer_check_sees_a_wrong_import(tmp_path):
    source = tmp_path / "sizing.py"
    source.write_text("def f():\n    from offline.engine import run_program\n")
    assert imported("components.sizing", source, {"components.sizing", "offline.engine"}) == {"offline.engine"}
