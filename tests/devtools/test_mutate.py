"""devtools/mutate.py: the mutants it makes, and that its targets exist with their tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from devtools import mutate

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = '''
import re

_LABEL = re.compile(r"^[a-z]{1,63}$")
OPEN = ("0.0.0.0/0", "::/0")


def fits(cpu, memory, free_cpu, free_memory):
    """A docstring is never mutated."""
    if cpu > free_cpu or memory > free_memory:
        raise ValueError(f"needs {cpu + 1}")
    return not cpu


def untouched(x):
    return x + 1
'''


def sample_mutants(tmp_path, functions=None):
    path = tmp_path / "sample.py"
    path.write_text(SAMPLE)
    return {m.what: m for m in mutate.mutants(path, mutate.Target(("x",), functions=functions))}


def test_each_operator_makes_its_mutant(tmp_path):
    found = sample_mutants(tmp_path)
    expected = {
        "cpu > free_cpu: '>' -> '>='",
        "cpu > free_cpu or memory > free_memory: and/or swapped",
        "cpu > free_cpu or memory > free_memory: drop operand memory > free_memory",
        "cpu > free_cpu or memory > free_memory: drop operand cpu > free_cpu",
        "not cpu: drop 'not'",
        "drop '::/0' from tuple",
        "drop '0.0.0.0/0' from tuple",
        "regex '^[a-z]{1,63}$': drop '^'",
        "regex '^[a-z]{1,63}$': drop '$'",
        "regex '^[a-z]{1,63}$': {1,63} -> *",
        "check off: if cpu > free_cpu or memory > free_memory",
        "x + 1: '+' -> '-'",
        "1 -> 2",
    }
    assert expected <= set(found)


def test_a_mutant_changes_only_its_node(tmp_path):
    found = sample_mutants(tmp_path)
    mutated = ast.parse(found["drop '::/0' from tuple"].source)
    original = ast.parse(SAMPLE)
    assert ast.unparse(mutated) == ast.unparse(original).replace("('0.0.0.0/0', '::/0')", "('0.0.0.0/0',)")


def test_f_strings_and_docstrings_are_left_alone(tmp_path):
    found = sample_mutants(tmp_path)
    assert not [w for w in found if "cpu + 1" in w or "docstring" in w]


def test_functions_limit_the_scope(tmp_path):
    found = sample_mutants(tmp_path, functions=r"^fits$")
    scopes = {m.scope for m in found.values()}
    assert scopes == {"fits", "<module>"}
    only = mutate.mutants(tmp_path / "sample.py", mutate.Target(("x",), functions=r"^fits$", module_level=False))
    assert {m.scope for m in only} == {"fits"}


@pytest.mark.parametrize("module", sorted(mutate.TARGETS))
def test_every_target_and_its_tests_exist(module):
    assert (ROOT / module).is_file()
    for test in mutate.TARGETS[module].tests:
        assert (ROOT / test).is_file(), test
    assert mutate.mutants(ROOT / module, mutate.TARGETS[module]), f"{module}: no mutants"


def test_listed_equivalents_name_known_modules():
    for line in mutate.EQUIVALENT_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            module, key, why = (part.strip() for part in line.split(" | ", 2))
            assert module in mutate.TARGETS and key and why, line


def test_unknown_module_is_one_line_bad_input(capsys):
    assert mutate.main(["components/nothing.py"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
