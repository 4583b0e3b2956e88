"""Every path the README and docs/ name exists, every doc the README links to exists, and
every `make` target they show is one the Makefile has: a newcomer never follows a dead end."""

from __future__ import annotations

import re

import pytest

from tests.support.stacks import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A path of this repository: one of its top-level folders, then a path (globs allowed).
FOLDERS = ("guide", "components", "task", "pypi_index", "commands", "tools", "devtools", "policy", "tests", "docs")
FOLDERS += ("results", ".github", ".ci")
PATH = re.compile(r"(?<![\w/.-])((?:" + "|".join(re.escape(f) for f in FOLDERS) + r")/[\w./*{},-]*[\w*}/])")
TOP_FILES = re.compile(
    r"(?<![\w/.-])(Makefile|Pulumi\.[\w-]+\.yaml|Pulumi\.yaml|__main__\.py|requirements[\w-]*\.txt|pyproject\.toml)"
)
LINK = re.compile(r"\]\(([^)#\s]+)")
# A command line that runs make (after optional VAR=value words), in code blocks and spans.
MAKE = re.compile(r"^\s*(?:\$\s*)?(?:[A-Z_]+=\S*\s+)*make ([a-z][a-z-]*)", re.M)
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)


def make_targets(text: str) -> set[str]:
    """`make X` as a command in code (blocks and inline spans), not in prose ("make it") or in
    a program's output quoted in a block ("would make the ASG ...")."""
    return {t for code in CODE.findall(text) for t in MAKE.findall(code.strip("`"))}


def named_paths(text: str) -> set[str]:
    return {m.rstrip(".,") for m in PATH.findall(text)} | set(TOP_FILES.findall(text))


def generated(path: str) -> bool:
    """Outputs that commands create (results/stress/, .venv/): .gitignore names them."""
    ignored = [line.strip().strip("/") for line in (ROOT / ".gitignore").read_text().splitlines()]
    return any(line and path.strip("/").startswith(line) for line in ignored if not line.startswith("#"))


def exists(path: str) -> bool:
    """A path, a glob (`policy/policies/*.py`) or a brace list (`index.{html,json}`)."""
    if generated(path):
        return True
    if "{" in path:
        head, rest = path.split("{", 1)
        options, tail = rest.split("}", 1)
        return all(exists(head + o + tail) for o in options.split(","))
    if "*" in path:
        return any(ROOT.glob(path))
    return (ROOT / path).exists()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_named_path_exists(doc):
    missing = sorted(p for p in named_paths(doc.read_text()) if not exists(p))
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc):
    links = [link for link in LINK.findall(doc.read_text()) if not link.startswith(("http://", "https://", "mailto:"))]
    assert sorted(link for link in links if not (doc.parent / link).exists()) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_make_target_shown_exists(doc):
    targets = set(re.findall(r"(?m)^([a-z][a-z-]*):", (ROOT / "Makefile").read_text()))
    assert sorted(make_targets(doc.read_text()) - targets) == []


def test_the_checks_see_a_dead_path(tmp_path):
    text = "see `components/nowhere.py` and tests/guide/*.py and [x](docs/serving.md); make it `make nothing`"
    text += "\n```\nX=1 make other  # a command\nit would make the ASG larger\n```\n"
    assert named_paths(text) == {"components/nowhere.py", "tests/guide/*.py", "docs/serving.md"}
    assert not exists("components/nowhere.py") and exists("tests/guide/*.py")
    assert make_targets(text) == {"nothing", "other"}
