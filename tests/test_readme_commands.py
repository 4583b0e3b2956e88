"""The README's commands work on a fresh clone (the committed files alone)."""

import os
import subprocess

from tests.support.stacks import ROOT


def test_make_preview_works_on_a_fresh_clone(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    # Reuse this checkout's virtualenv: installing again is `make`'s job, not this test's.
    venv = ROOT / ".venv"
    run = subprocess.run(
        ["make", "-s", "-o", f"{venv}/.installed", "preview", "STACK=heavy", f"VENV={venv}"],
        cwd=clone,
        env=_without_outer_make(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "c6a.xlarge" in run.stdout and "12 / 24" in run.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make preview STACK=heavy" in readme
    assert "make test" in ci


def _without_outer_make() -> dict[str, str]:
    """Run the clone's make as a user would: `make test ARGS=...` must not leak its
    variables (MAKEFLAGS) into this inner `make preview`."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "ARGS")}
