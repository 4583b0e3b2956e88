"""policy/guide/: the pack's generated copy of guide/, never hand-edited.

The pack is published alone (only policy/ is uploaded), so it cannot import the project's
guide/; `make sync-guide` copies the whole folder, and these tests fail the moment the two
trees drift or the guide reaches beyond the standard library."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE, COPY = ROOT / "guide", ROOT / "policy" / "guide"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_packs_copy_is_the_guide_byte_for_byte():
    source, copy = tree(GUIDE), tree(COPY)
    assert sorted(copy) == sorted(source), "same files: run `make sync-guide`"
    differing = [name for name in source if copy[name] != source[name]]
    assert differing == [], f"policy/guide/ differs from guide/ in {differing}: run `make sync-guide`"


def test_the_tree_comparison_sees_a_drift(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py").write_text("X = 1\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.py").write_text("X = 2\n")
    assert tree(tmp_path / "a") != tree(tmp_path / "b")


def test_the_guide_needs_only_the_standard_library():
    """Absolute imports name only the standard library; relative ones stay inside guide/, so
    the copy works wherever the pack runs."""
    outside = []
    for path in GUIDE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            outside += [f"{path.name}: {n}" for n in names if n.split(".")[0] not in sys.stdlib_module_names]
    assert outside == []
