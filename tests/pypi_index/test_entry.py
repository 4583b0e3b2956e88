"""pypi_index/__main__.py and the app it builds: pypiserver's public API with the index as its
backend, and a refusal, in one line, to start on a pypiserver release it was not tested with."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pypiserver
from pypiserver.backend import IBackend

from pypi_index import contract
from pypi_index.__main__ import version_problem
from pypi_index.server import IndexBackend, build_app
from task.images import TESTED_PYPISERVER_VERSION
from tests.support.index_support import wheel, wheel_name
from tests.support.local_run_support import free_port
from tests.support.stacks import ROOT


def test_the_tested_release_is_the_one_installed_here():
    # pypi_index/requirements.txt names it once; this environment was installed from it.
    assert pypiserver.__version__ == TESTED_PYPISERVER_VERSION


def test_the_same_release_starts():
    assert version_problem("2.4.2", "2.4.2") is None


def test_another_release_is_refused_naming_both_and_the_fix():
    problem = version_problem("2.5.0", "2.4.2")
    assert problem is not None
    assert "2.4.2" in problem and "2.5.0" in problem and "imageTag to v2.4.2" in problem


def test_a_task_that_names_no_release_is_refused():
    problem = version_problem("2.4.2", None)
    assert problem is not None and contract.ENV_PYPISERVER_VERSION in problem


def test_the_entry_point_refuses_to_start_with_one_line(tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), contract.ENV_PYPISERVER_VERSION: "0.0.1"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pypi_index",
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-a",
            ".",
            "-P",
            ".",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pypi_index: the index is tested with pypiserver 0.0.1"), run.stderr
    assert not list(tmp_path.iterdir()), "nothing was written to the package folder"


def test_the_backend_is_an_ibackend_over_the_store(tmp_path):
    app = build_app(["run", "-a", ".", "-P", ".", str(tmp_path)], {contract.ENV_PUBLISHERS: "pypi"})
    backend = app.config.index
    assert isinstance(backend, IndexBackend) and isinstance(backend, IBackend)
    assert app.config.backend.backend is backend, "pypiserver's own proxy wraps the index"
    name = wheel_name("demo", "1.0")
    backend.add_package(name, io.BytesIO(wheel("demo", "1.0")))
    listed = [(p.pkgname, p.version, p.relfn) for p in app.config.backend.get_all_packages()]
    assert listed == [("demo", "1.0", name)]
    assert (tmp_path / name).is_file() and backend.exists(name) is False, "publish decides conflicts, not exists()"
