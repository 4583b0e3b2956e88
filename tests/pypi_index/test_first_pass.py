"""pypi_index/scan.py's first pass, in process: the first pass over an existing folder is
marked complete only once it has compared every file, resumes where a killed pass stopped,
and runs again when its marker (or all of .index) goes."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from pypi_index import dist, scan, store
from tools import repo_gen

PROJECTS, VERSIONS = 40, 3


def aged(path: str) -> None:
    old = time.time() - 60
    os.utime(path, (old, old))


@pytest.fixture
def folder(tmp_path):
    packages = tmp_path / "packages"
    repo_gen.generate(packages, PROJECTS, VERSIONS, payload_bytes=64, prefix="demo")
    for name in os.listdir(packages):
        aged(str(packages / name))
    aged(str(packages))
    return packages


class Killed(BaseException):
    """The process ends here: nothing of the scanner may catch it (it survives any Exception
    of one file, by design), as nothing survives a SIGKILL."""


def counting_inspect(monkeypatch, fail_after: int | None = None) -> list[str]:
    """Record each file the scanner reads whole (hash and metadata); die after `fail_after`."""
    seen: list[str] = []
    real = dist.inspect

    def inspect(path, dist, *rest):
        if fail_after is not None and len(seen) >= fail_after:
            raise Killed()
        seen.append(os.path.basename(path))
        return real(path, dist, *rest)

    monkeypatch.setattr(scan, "inspect", inspect)
    return seen


def test_the_marker_comes_with_the_end_of_the_first_pass(folder, monkeypatch):
    s = store.Store(str(folder))
    assert not s.is_ready(), "a new .index: missing pages may be projects that exist"
    read = counting_inspect(monkeypatch)
    scan.Scanner(s).poll()
    assert s.is_ready() and len(read) == PROJECTS * VERSIONS


def test_a_pass_killed_half_way_leaves_no_marker_and_resumes_where_it_stopped(folder, monkeypatch):
    s = store.Store(str(folder))
    counting_inspect(monkeypatch, fail_after=PROJECTS * VERSIONS // 2)
    with pytest.raises(Killed):
        scan.Scanner(s).poll()
    assert not s.is_ready(), "an incomplete pass is not complete"
    done = len(s.project_names())
    assert 0 < done < PROJECTS
    # A new process (a restart): only what the killed pass did not record is read again.
    read = counting_inspect(monkeypatch)
    scan.Scanner(store.Store(str(folder))).poll()
    print(f"\nkilled after {done} of {PROJECTS} projects; the restart read {len(read)} of {PROJECTS * VERSIONS} files")
    assert s.is_ready() and len(s.project_names()) == PROJECTS
    assert len(read) <= PROJECTS * VERSIONS - done * VERSIONS + VERSIONS, "the restart does not start over"


def test_a_deleted_marker_makes_the_next_poll_compare_the_whole_folder_again(folder):
    s = store.Store(str(folder))
    scanner = scan.Scanner(s)
    scanner.poll()
    os.unlink(s.ready_marker)
    scanner.poll()
    assert s.is_ready()


def test_a_deleted_index_is_rebuilt_and_marked_complete_only_then(folder):
    s = store.Store(str(folder))
    scanner = scan.Scanner(s)
    scanner.poll()
    shutil.rmtree(s.index)
    assert not s.is_ready()
    scanner.poll()
    assert s.is_ready() and len(s.project_names()) == PROJECTS
    assert os.path.exists(os.path.join(s.simple, repo_gen.project_name(0, "demo"), "index.html"))
