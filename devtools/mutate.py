"""A targeted mutation run: one small change to a module at a time, then only the test files
that cover it. A mutant the tests still pass ("survives") is logic no test pins down.

    python -m devtools.mutate guide/sizing.py      (make mutate MODULE=guide/sizing.py)
    python -m devtools.mutate guide/sizing.py --list   the mutants, without running tests

The operators change what a reviewer would call the logic, never messages: comparisons
(< <=, == !=, in / not in), and/or, a dropped `not`, a dropped operand of and/or, arithmetic
(+ -, * /), whole numbers (n -> n + 1), an element dropped from a literal tuple, list, set or
dict (a property, a CIDR, a resource type), a check switched off (`if cond: raise/report` ->
`if False:`), and regular expressions loosened (anchors dropped, a bounded repeat made `*`).
f-strings are left alone. Each mutant is written over the module, its tests run (`pytest -x`,
no bytecode), and the original is put back whatever happens.

Mutants shown equivalent (no input can tell them apart) are listed, with the reason, in
devtools/equivalent_mutants.txt; they are reported as such, not as survivors. Exit code 0
when every mutant is killed or listed as equivalent, 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = Path(__file__).resolve().parent / "equivalent_mutants.txt"
TEST_TIMEOUT_S = 300


@dataclass(frozen=True)
class Target:
    tests: tuple[str, ...]
    # Only functions whose name matches (None: all), and module-level statements when asked:
    # all of them, or only assignments to names that match `module_names`.
    functions: str | None = None
    module_level: bool = True
    module_names: str | None = None


# Which tests cover which module.
# Pack-wide checks of every policy's metadata and config schema.
PACK_TESTS = "tests/policy/test_pack.py"
CONFIG_TESTS = ("tests/components/test_config.py",)
TARGETS: dict[str, Target] = {
    "guide/sizing.py": Target(("tests/guide/test_sizing.py",)),
    # The config's validators, their regular expressions and allowed values, and the rules
    # across settings.
    "components/config/schema.py": Target(
        CONFIG_TESTS,
        functions=r"^_(apply_profile|users|authenticate|consistent|instance_type_name)$",
        module_level=False,
    ),
    "components/config/checks.py": Target(CONFIG_TESTS, module_level=False),
    "components/config/aws_values.py": Target(
        CONFIG_TESTS,
        functions=r"^check_",
        module_names=r"^(SUBNET_ID|DNS_LABEL|EMAIL|IAM_PRINCIPAL|CRON_FIELD|LOG_RETENTION_DAYS)$",
    ),
    "policy/policies/sizing.py": Target(("tests/policy/test_sizing.py", PACK_TESTS)),
    "policy/policies/security.py": Target(("tests/policy/test_security.py", PACK_TESTS)),
    "policy/policies/reliability.py": Target(("tests/policy/test_reliability.py", PACK_TESTS)),
    "policy/policies/deployability.py": Target(("tests/policy/test_deployability.py", PACK_TESTS)),
    "commands/migrate/safety.py": Target(("tests/commands/test_migrate_safety.py",)),
    "commands/migrate/replacements.py": Target(
        ("tests/commands/test_replacements.py", "tests/commands/test_migrate_diff.py")
    ),
}


@dataclass(frozen=True)
class Mutant:
    line: int
    scope: str  # the function it is in, or "<module>"
    what: str  # e.g. "'<' -> '<='"
    source: str  # the whole mutated module

    def key(self, occurrence: int) -> str:
        """Stable across unrelated edits: no line number."""
        return f"{self.scope}: {self.what}" + (f" #{occurrence}" if occurrence > 1 else "")


# --- the operators -----------------------------------------------------------------------

_COMPARE_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
}
_SYMBOL: dict[type, str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
}
_REGEX_CALLS = {"compile", "match", "fullmatch", "search"}


def _short(node: ast.AST, limit: int = 40) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_check(node: ast.If) -> bool:
    """`if cond:` whose body only raises or reports: switching it off removes one check."""
    for stmt in node.body:
        if isinstance(stmt, ast.Raise):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("report", "append"):
                continue
        if isinstance(stmt, (ast.Return, ast.Continue)) and node.orelse == []:
            # `if not applicable: return` guards are not checks
            return False
        return False
    return True


def _regex_variants(pattern: str) -> Iterator[tuple[str, str]]:
    if pattern.startswith("^"):
        yield pattern[1:], "drop '^'"
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        yield pattern[:-1], "drop '$'"
    for m in re.finditer(r"\{\d+(,\d*)?\}", pattern):
        yield pattern[: m.start()] + "*" + pattern[m.end() :], f"{m.group(0)} -> *"
    for m in re.finditer(r"(?<!\\)\+", pattern):
        yield pattern[: m.start()] + "*" + pattern[m.end() :], "+ -> *"
    for m in re.finditer(r"\[([^\]]+)\]", pattern):
        yield pattern[: m.start()] + "." + pattern[m.end() :], f"[{m.group(1)}] -> ."


def _regex_nodes(tree: ast.AST) -> set[int]:
    """ids of string constants given to re.compile/match/fullmatch/search as the pattern."""
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _REGEX_CALLS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(id(node.args[0]))
    return found


def _changes(node: ast.AST, regexes: set[int]) -> Iterator[tuple[str, ast.AST | None]]:
    """(description, replacement node or None to drop it) for one node."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swap = _COMPARE_SWAPS.get(type(op))
            if swap:
                new_compare = copy.deepcopy(node)
                new_compare.ops[i] = swap()
                yield f"{_short(node)}: '{_SYMBOL[type(op)]}' -> '{_SYMBOL[swap]}'", new_compare
    elif isinstance(node, ast.BoolOp):
        other: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield f"{_short(node)}: and/or swapped", ast.BoolOp(op=other, values=copy.deepcopy(node.values))
        for i in range(len(node.values)):
            rest = [copy.deepcopy(v) for j, v in enumerate(node.values) if j != i]
            new_node = rest[0] if len(rest) == 1 else ast.BoolOp(op=copy.deepcopy(node.op), values=rest)
            yield f"{_short(node)}: drop operand {_short(node.values[i], 30)}", new_node
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield f"{_short(node)}: drop 'not'", copy.deepcopy(node.operand)
    elif isinstance(node, ast.BinOp):
        swap = _BINOP_SWAPS.get(type(node.op))
        if swap:
            yield (
                f"{_short(node)}: '{_SYMBOL[type(node.op)]}' -> '{_SYMBOL[swap]}'",
                ast.BinOp(left=copy.deepcopy(node.left), op=swap(), right=copy.deepcopy(node.right)),
            )
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            yield f"{node.value} -> {node.value + 1}", ast.Constant(node.value + 1)
        elif isinstance(node.value, bool):
            yield f"{node.value} -> {not node.value}", ast.Constant(not node.value)
        elif isinstance(node.value, str) and id(node) in regexes:
            for variant, what in _regex_variants(node.value):
                yield f"regex {node.value!r}: {what}", ast.Constant(variant)
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 2:
        for i, elt in enumerate(node.elts):
            if isinstance(elt, ast.Starred):
                continue
            new_seq = copy.deepcopy(node)
            del new_seq.elts[i]
            yield f"drop {_short(elt, 50)} from {type(node).__name__.lower()}", new_seq
    elif isinstance(node, ast.Dict) and len(node.keys) >= 2:
        for i, k in enumerate(node.keys):
            if k is None:
                continue
            new_dict = copy.deepcopy(node)
            del new_dict.keys[i]
            del new_dict.values[i]
            yield f"drop key {_short(k, 50)} from dict", new_dict
    elif isinstance(node, ast.If) and _is_check(node):
        new_if = copy.deepcopy(node)
        new_if.test = ast.Constant(False)
        yield f"check off: if {_short(node.test, 50)}", new_if


def _walk_scoped(tree: ast.Module, target: Target) -> Iterator[tuple[str, ast.AST]]:
    """(scope, node) for every node the target asks to mutate, f-strings and docstrings left out."""
    pattern = re.compile(target.functions) if target.functions else None

    names = re.compile(target.module_names) if target.module_names else None

    def skip(node: ast.AST) -> bool:
        # f-strings are messages; Literal[...] and annotations are types, not logic
        if isinstance(node, ast.JoinedStr):
            return True
        return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Literal"

    def module_wanted(node: ast.stmt) -> bool:
        if not target.module_level:
            return False
        if names is None:
            return True
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        return any(isinstance(t, ast.Name) and names.search(t.id) for t in targets)

    def walk(node: ast.AST, scope: str, wanted: bool) -> Iterator[tuple[str, ast.AST]]:
        if skip(node):
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope = node.name if scope == "<module>" else f"{scope}.{node.name}"
            wanted = pattern is None or bool(pattern.search(node.name))
            for stmt in node.body:
                yield from walk(stmt, scope, wanted)
            return
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                yield from walk(stmt, node.name if scope == "<module>" else f"{scope}.{node.name}", wanted)
            return
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return
        if wanted:
            yield scope, node
        for field, value in ast.iter_fields(node):
            if field in ("annotation", "returns"):
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    yield from walk(child, scope, wanted)

    for top in tree.body:
        yield from walk(top, "<module>", module_wanted(top))


def mutants(path: Path, target: Target) -> list[Mutant]:
    source = path.read_text()
    tree = ast.parse(source)
    regexes = _regex_nodes(tree)
    found = []
    for scope, node in _walk_scoped(tree, target):
        for what, replacement in _changes(node, regexes):
            text = _mutated_source(tree, node, replacement)
            if text is not None:
                found.append(Mutant(getattr(node, "lineno", 0), scope, what, text))
    return found


def _mutated_source(tree: ast.Module, node: ast.AST, replacement: ast.AST | None) -> str | None:
    """The module's source with `node` replaced (or dropped): the node is swapped in the
    tree, the tree unparsed, and the node put back."""
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, replacement)
                try:
                    return ast.unparse(tree)
                finally:
                    setattr(parent, field, node)
            if isinstance(value, list) and any(v is node for v in value):
                index = next(i for i, v in enumerate(value) if v is node)
                if replacement is None:
                    value.pop(index)
                else:
                    value[index] = replacement
                try:
                    return ast.unparse(tree)
                finally:
                    if replacement is None:
                        value.insert(index, node)
                    else:
                        value[index] = node
    return None


# --- running -----------------------------------------------------------------------------


def load_equivalent(module: str) -> dict[str, str]:
    """`module | mutant key | why it is equivalent` lines; # comments."""
    found = {}
    if EQUIVALENT_FILE.is_file():
        for line in EQUIVALENT_FILE.read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            mod, key, why = (part.strip() for part in line.split(" | ", 2))
            if mod == module:
                found[key] = why
    return found


def _drop_bytecode(path: Path) -> None:
    for cached in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
        cached.unlink(missing_ok=True)


def run_tests(tests: tuple[str, ...]) -> bool:
    """True when the tests pass (the mutant survives)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=TEST_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return False  # a mutant that hangs the tests is caught by them
    return done.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devtools.mutate", description=__doc__.splitlines()[0])
    parser.add_argument("module", help=f"one of: {', '.join(TARGETS)}")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    args = parser.parse_args(argv)
    target = TARGETS.get(args.module)
    if target is None:
        print(f"error: {args.module!r} has no mutation target; known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    path = ROOT / args.module
    original = path.read_text()
    found = mutants(path, target)
    seen: dict[str, int] = {}
    keyed = []
    for m in found:
        seen[m.scope + m.what] = seen.get(m.scope + m.what, 0) + 1
        keyed.append((m.key(seen[m.scope + m.what]), m))
    if args.list:
        for key, m in keyed:
            print(f"{m.line:4} {key}")
        print(f"{len(keyed)} mutants")
        return 0
    equivalent = load_equivalent(args.module)
    if not run_tests(target.tests):
        print(f"error: {' '.join(target.tests)} fail before any mutation", file=sys.stderr)
        return 2
    survivors, skipped = [], []
    start = time.monotonic()
    # Stopped from outside (Ctrl-C, kill): the finally below still puts the module back.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    try:
        for i, (key, m) in enumerate(keyed, 1):
            if key in equivalent:
                skipped.append(key)
                continue
            path.write_text(m.source)
            _drop_bytecode(path)
            survived = run_tests(target.tests)
            path.write_text(original)
            _drop_bytecode(path)
            if survived:
                survivors.append((m.line, key))
            print(f"[{i}/{len(keyed)}] {'SURVIVED' if survived else 'killed  '} {m.line:4} {key}", flush=True)
    finally:
        path.write_text(original)
        _drop_bytecode(path)
    unknown_equivalents = sorted(set(equivalent) - {k for k, _ in keyed})
    killed = len(keyed) - len(skipped) - len(survivors)
    considered = len(keyed) - len(skipped)
    print()
    for line, key in survivors:
        print(f"survived: {line:4} {key}")
    for key in skipped:
        print(f"equivalent: {key} ({equivalent[key]})")
    for key in unknown_equivalents:
        print(f"note: listed as equivalent but no longer generated: {key}")
    print(
        f"{args.module}: {killed}/{considered} killed, {len(survivors)} survived, {len(skipped)} equivalent "
        f"({time.monotonic() - start:.0f} s, tests: {' '.join(target.tests)})"
    )
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
