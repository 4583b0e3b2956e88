"""The import graph: no cycles, no import runs back up the layers, and each package imports
only the third-party libraries of the place it runs in.

Read from the source with ast (nothing is imported), module by module, including imports
inside functions: a lazy import that closes a cycle is still a cycle.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("guide", "components", "task", "pypi_index", "oidc_exchange", "commands", "tools", "devtools")
# The pack runs from policy/ with its own sys.path: `policies.*` is top level, and `guide.*` is
# its copy of guide/ (the same modules, checked byte for byte by test_pack_copy.py).
PACK = ROOT / "policy"


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {module_name(p, ROOT): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    found |= {module_name(p, PACK): p for p in PACK.rglob("*.py") if ".venv" not in p.parts and "guide" not in p.parts}
    # The two entry points, named apart: the Pulumi program and the pack's.
    found["program"] = ROOT / "__main__.py"
    found["pack_main"] = found.pop("__main__")
    return found


def imported(name: str, path: Path, known: set[str], third_party: set[str] | None = None) -> set[str]:
    """The project modules a module imports (a package import counts as its __init__); the
    top-level names of other libraries it imports go into `third_party`."""
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
            # `from a import b`: the module a.b when there is one, else names of module a.
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for candidate in candidates:
            # the longest known module the name starts with: `a.b.c` is a.b.c, else a.b, else a
            parts = candidate.split(".")
            for end in range(len(parts), 0, -1):
                if ".".join(parts[:end]) in known:
                    targets.add(".".join(parts[:end]))
                    break
            else:
                top = parts[0]
                if (
                    third_party is not None
                    and top
                    and not getattr(node, "level", 0)
                    and top not in sys.stdlib_module_names
                ):
                    third_party.add(top)
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
    source.write_text("from .records import X\nfrom ..cli import fail\nimport commands.engine\n")
    known = {"commands.engine", "commands.engine.records", "commands.cli"}
    assert imported("commands.engine.run", source, known) == {
        "commands.engine.records",
        "commands.cli",
        "commands.engine",
    }


def test_there_are_no_import_cycles():
    assert cycles(graph()) == []


# What each package may import of the project's own modules, by where its code runs: the guide
# is pure facts; the task is data rendered for ECS and the local run; the index runs inside
# the stock image and shares only its contract with the renderer; the component builds
# resources; the commands and tools sit on top; the pack stands apart and sees only its own
# modules and its copy of the guide.
ALLOWED = {
    "guide": ("guide",),
    "pypi_index": ("pypi_index",),
    # The exchange's container carries these index modules too: the token format, the audit
    # line and the names they share (task/oidc_process.py ships them).
    "oidc_exchange": ("oidc_exchange", "pypi_index.contract", "pypi_index.upload_tokens", "pypi_index.audit"),
    "task": ("task", "guide", "pypi_index.contract"),
    # The stack's config validates project patterns as the index reads them (one home).
    "components": ("components", "task", "guide", "pypi_index.contract", "pypi_index.rights"),
    "commands": ("commands", "components", "guide"),
    "tools": ("tools", "commands", "components", "task", "guide", "pypi_index.contract"),
    "devtools": ("devtools",),
    "policies": ("policies", "guide"),
    "program": ("components",),
    "pack_main": ("policies",),
}

# The third-party libraries each package may import: what the place it runs in installs.
# `pulumi up` installs requirements.txt (program, components, task, guide); the stock
# pypiserver image holds packaging and pypiserver (the index, tested by
# tests/pypi_index/test_fence.py in a bare interpreter too).
THIRD_PARTY = {
    "guide": (),
    "pypi_index": ("packaging", "pypiserver"),
    # What its container installs at start (oidc_exchange/requirements.txt).
    "oidc_exchange": ("jwt",),
    "task": ("bcrypt",),
    "components": ("pulumi", "pulumi_aws", "pulumi_random", "pydantic"),
    "program": ("pulumi",),
}


def allowed(target: str, rows: tuple[str, ...]) -> bool:
    return any(target == row or target.startswith(row + ".") for row in rows)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_no_import_runs_back_up(layer):
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in graph().items()
        if name.split(".")[0] == layer
        for target in targets
        if not allowed(target, ALLOWED[layer])
    )
    assert wrong == []


def third_party_imports() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    result: dict[str, set[str]] = {}
    for name, path in found.items():
        libraries: set[str] = set()
        imported(name, path, known, libraries)
        result[name] = libraries
    return result


@pytest.mark.parametrize("layer", sorted(THIRD_PARTY))
def test_each_package_imports_only_the_libraries_where_it_runs(layer):
    wrong = sorted(
        f"{name} imports {library}"
        for name, libraries in third_party_imports().items()
        if name.split(".")[0] == layer
        for library in libraries
        if library not in THIRD_PARTY[layer]
    )
    assert wrong == []


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[=<>~!\[ ]", line, maxsplit=1)[0].lower().replace("-", "_"))
    return names


def test_what_pulumi_up_installs_is_what_the_program_imports():
    """requirements.txt holds the libraries the program's modules import, and nothing more
    (the index's `packaging` lives in the image, not in what `pulumi up` installs)."""
    edges, libraries = graph(), third_party_imports()
    reach, todo = set(), ["program"]
    while todo:
        name = todo.pop()
        if name not in reach:
            reach.add(name)
            todo += edges[name]
    needed = set().union(*(libraries[name] for name in reach))
    assert requirement_names(ROOT / "requirements.txt") == needed


def test_the_layer_check_sees_a_wrong_import(tmp_path):
    source = tmp_path / "sizing.py"
    source.write_text("def f():\n    from commands.engine import run_program\n")
    assert imported("guide.sizing", source, {"guide.sizing", "commands.engine"}) == {"commands.engine"}


# A module a newcomer reads in one sitting: the packages that deploy and run stay small.
MAX_MODULE_LINES = 450


@pytest.mark.parametrize("package", ["components", "task", "pypi_index", "oidc_exchange"])
def test_no_module_is_longer_than_one_sitting(package):
    long = sorted(
        f"{p.relative_to(ROOT)}: {n}"
        for p in (ROOT / package).rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    )
    assert long == []
