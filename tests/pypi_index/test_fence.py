"""The index runs inside the stock pypiserver image: it may import the standard library,
`packaging` and `pypiserver` (with what pypiserver itself requires), and nothing else. Proved
in a fresh interpreter whose path holds only those (`python -I -S`: no site-packages, no
PYTHONPATH), so a stray import fails here, not in the deployed image."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement

from task.pypiserver_process import runtime_environment
from tests.support.local_run_support import heavy_spec
from tests.support.stacks import ROOT

INDEX = ROOT / "pypi_index"
ALLOWED = ("packaging", "pypiserver")


def distributions_of(names: tuple[str, ...]) -> set[str]:
    """The distributions named and what they require at run time, for this Python."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(re.sub(r"[-_.]+", "-", requirement.name).lower())
    return found


def top_level_names(distribution: str) -> set[str]:
    files = importlib.metadata.distribution(distribution).files or []
    names = {f.parts[0].removesuffix(".py") for f in files if not f.parts[0].endswith((".dist-info", ".pth"))}
    return {n for n in names if n.isidentifier()}


def bare_path(tmp_path: Path, index_package: Path) -> Path:
    """A folder holding the allowed libraries and the index package, as the image has them."""
    site = tmp_path / "site"
    site.mkdir()
    link_distributions(site, ALLOWED)
    (site / "pypi_index").symlink_to(index_package)
    return site


def link_distributions(folder: Path, names: tuple[str, ...]) -> None:
    """Symlink into `folder` the importable top-level names of the distributions named and
    of what they require (from this interpreter's site-packages)."""
    installed = Path(importlib.metadata.distribution("packaging").locate_file(""))
    for distribution in distributions_of(names):
        for name in top_level_names(distribution):
            source = installed / name if (installed / name).exists() else installed / f"{name}.py"
            if source.exists():
                (folder / source.name).symlink_to(source)


def import_every_module(site: Path, index_package: Path) -> subprocess.CompletedProcess:
    modules = sorted(f"pypi_index.{p.stem}" for p in index_package.glob("*.py") if p.stem != "__init__")
    script = (
        "import importlib, json, sys\n"
        f"sys.path.insert(0, {str(site)!r})\n"
        f"for name in ['pypi_index', *{modules!r}]:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    # The environment the task renders (gunicorn_conf.py reads it at import).
    env = {**os.environ, **runtime_environment(heavy_spec())}
    return subprocess.run([sys.executable, "-I", "-S", "-c", script], env=env, capture_output=True, text=True)


def test_every_index_module_imports_with_only_the_images_libraries(tmp_path):
    run = import_every_module(bare_path(tmp_path, INDEX), INDEX)
    assert run.returncode == 0, run.stderr
    loaded = set(json.loads(run.stdout))
    assert {"pypi_index", "pypiserver", "packaging"} <= loaded


def test_the_fence_fails_on_a_stray_import(tmp_path):
    planted = tmp_path / "planted" / "pypi_index"
    shutil.copytree(INDEX, planted, ignore=shutil.ignore_patterns("__pycache__"))
    store = planted / "store.py"
    store.write_text(store.read_text().replace("import fcntl\n", "import fcntl\n\nimport yaml  # noqa\n", 1))
    run = import_every_module(bare_path(tmp_path, planted), planted)
    assert run.returncode != 0
    assert "No module named 'yaml'" in run.stderr
