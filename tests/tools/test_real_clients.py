"""Real clients against the local run of the task: pip (current and 23.x), uv (pip install,
pip compile, publish --check-url), poetry (publish, lock) and twine (current), each pinned
in its own virtualenv (tests/client_envs.py)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from tests.support.client_envs import client_env
from tests.support.index_support import wheel, wheel_name
from tests.support.local_run_support import start_task, upload


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    t = start_task(tmp_path_factory.mktemp("clients"), projects=1)
    yield t
    t.stop()


def index_url(task) -> str:
    return f"http://{task.credentials['username']}:{task.credentials['password']}@127.0.0.1:{task.port}/simple/"


def run(cmd: list[str], env: dict | None = None, cwd=None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def requested(task, path_part: str) -> list[str]:
    return [line for line in task.access_log() if f"GET /packages/{path_part}" in line]


def write(tmp_path, filename: str, data: bytes):
    path = tmp_path / filename
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("pip_env", ["pip-current", "pip-23"])
def test_pip_skips_wheels_whose_requires_python_excludes_it(task, tmp_path, pip_env):
    project = f"py-gate-{pip_env}"
    assert upload(task, wheel_name(project, "1.0"), wheel(project, "1.0")) == 200
    assert upload(task, wheel_name(project, "2.0"), wheel(project, "2.0", requires_python=">=3.99")) == 200
    pip = client_env(pip_env) / "pip"
    got = run(
        [
            pip,
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--target",
            tmp_path / "t",
            "--index-url",
            index_url(task),
            project,
        ]
    )
    assert got.returncode == 0, got.stderr[-500:]
    assert (tmp_path / "t" / f"{project.replace('-', '_')}-1.0.dist-info").is_dir(), "1.0: 2.0 needs Python 3.99"
    assert requested(task, wheel_name(project, "2.0")) == [], (
        "data-requires-python lets pip skip the 2.0 wheel (and its metadata) without downloading it"
    )


def test_pip_resolves_from_core_metadata_without_downloading_wheels(task, tmp_path):
    project = "metadata-only"
    assert upload(task, wheel_name(project, "1.0"), wheel(project, "1.0")) == 200
    pip = client_env("pip-current") / "pip"
    got = run(
        [
            pip,
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--dry-run",
            "--report",
            tmp_path / "report.json",
            "--index-url",
            index_url(task),
            project,
        ]
    )
    assert got.returncode == 0, got.stderr[-500:]
    [item] = json.loads((tmp_path / "report.json").read_text())["install"]
    assert item["metadata"]["version"] == "1.0"
    assert len(requested(task, wheel_name(project, "1.0") + ".metadata")) == 1, "PEP 658 metadata fetched"
    assert requested(task, wheel_name(project, "1.0") + " ") == [], "the wheel itself is never downloaded"


def test_uv_publish_check_url_install_and_compile(task, tmp_path):
    uv = client_env("uv") / "uv"
    env = {"UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_CONFIG": "1"}
    project = "uv-published"
    dist = write(tmp_path, wheel_name(project, "1.0"), wheel(project, "1.0"))
    creds = ["--username", task.credentials["username"], "--password", task.credentials["password"]]
    publish = [uv, "publish", "--publish-url", task.url + "/", "--check-url", index_url(task), *creds, dist]
    first = run(publish, env)
    assert first.returncode == 0, first.stderr[-800:]
    again = run(publish, env)
    assert again.returncode == 0 and "skipping" in again.stderr.lower(), (
        f"--check-url must skip a file the index already has: {again.stderr[-800:]}"
    )
    # Right after publish returned: installable (no "no version" window).
    installed = run(
        [
            uv,
            "pip",
            "install",
            "--no-cache",
            "--python",
            sys.executable,
            "--target",
            tmp_path / "t",
            "--index-url",
            index_url(task),
            f"{project}==1.0",
        ],
        env,
    )
    assert installed.returncode == 0, installed.stderr[-800:]
    assert (tmp_path / "t" / f"{project.replace('-', '_')}-1.0.dist-info").is_dir()
    (tmp_path / "requirements.in").write_text(f"{project}\n")
    compiled = run(
        [
            uv,
            "pip",
            "compile",
            "--no-cache",
            "--python",
            sys.executable,
            "--index-url",
            index_url(task),
            tmp_path / "requirements.in",
            "-o",
            tmp_path / "requirements.txt",
            "--generate-hashes",
        ],
        env,
    )
    assert compiled.returncode == 0, compiled.stderr[-800:]

    pinned = (tmp_path / "requirements.txt").read_text()
    assert f"{project}==1.0" in pinned and hashlib.sha256(dist.read_bytes()).hexdigest() in pinned


def test_twine_current_uploads_metadata_2_5_and_refuses_skip_existing(task, tmp_path):
    twine = client_env("twine-current") / "twine"
    project = "twine-current-upload"
    dist = write(tmp_path, wheel_name(project, "1.0"), wheel(project, "1.0", core_metadata_version="2.5"))
    base = [
        twine,
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        task.url + "/",
        "-u",
        task.credentials["username"],
        "-p",
        task.credentials["password"],
    ]
    first = run([*base, dist])
    assert first.returncode == 0, f"Metadata-Version 2.5 (current hatchling) must upload: {first.stderr[-600:]}"
    skip = run([*base, "--skip-existing", dist])
    assert skip.returncode != 0 and "skip-existing" in (skip.stdout + skip.stderr), (
        "twine >= 6.2 refuses --skip-existing off PyPI (the README says what to use instead)"
    )
    pip = client_env("pip-current") / "pip"
    got = run(
        [pip, "download", "--no-cache-dir", "--no-deps", "-d", tmp_path / "dl", "--index-url", index_url(task), project]
    )
    assert got.returncode == 0 and (tmp_path / "dl" / dist.name).read_bytes() == dist.read_bytes()


def test_poetry_publishes_and_locks_against_the_index(task, tmp_path):
    poetry = client_env("poetry") / "poetry"
    env = {
        "POETRY_CACHE_DIR": str(tmp_path / "poetry-cache"),
        "POETRY_CONFIG_DIR": str(tmp_path / "poetry-config"),
        "POETRY_REPOSITORIES_LOCAL_URL": task.url + "/",
        "POETRY_HTTP_BASIC_LOCAL_USERNAME": task.credentials["username"],
        "POETRY_HTTP_BASIC_LOCAL_PASSWORD": task.credentials["password"],
        "POETRY_VIRTUALENVS_CREATE": "false",
    }
    producer = tmp_path / "producer"
    (producer / "dist").mkdir(parents=True)
    (producer / "pyproject.toml").write_text('[project]\nname = "poetry-published"\nversion = "1.0"\n')
    dist = write(producer / "dist", wheel_name("poetry-published", "1.0"), wheel("poetry-published", "1.0"))
    published = run([poetry, "publish", "-r", "local", "--no-interaction"], env, cwd=producer)
    assert published.returncode == 0, published.stdout[-600:] + published.stderr[-600:]

    consumer = tmp_path / "consumer"
    consumer.mkdir()
    (consumer / "pyproject.toml").write_text(
        '[project]\nname = "consumer"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["poetry-published"]\n\n'
        f'[[tool.poetry.source]]\nname = "local"\nurl = "{task.url}/simple/"\npriority = "primary"\n'
    )
    locked = run([poetry, "lock", "--no-interaction"], env, cwd=consumer)
    assert locked.returncode == 0, locked.stdout[-600:] + locked.stderr[-600:]
    lock = (consumer / "poetry.lock").read_text()

    assert 'name = "poetry-published"' in lock and hashlib.sha256(dist.read_bytes()).hexdigest() in lock


def test_twine_6_1_refuses_metadata_2_5_wheels(tmp_path):
    """Why the README points at current twine: 6.1.0 (the version pinned for this repository's
    own tests) refuses what current hatchling builds, before sending anything."""
    dist = write(tmp_path, wheel_name("new-metadata", "1.0"), wheel("new-metadata", "1.0", core_metadata_version="2.5"))
    got = run(
        [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--repository-url",
            "http://127.0.0.1:9/",
            "-u",
            "u",
            "-p",
            "p",
            dist,
        ]
    )
    assert got.returncode != 0 and "'2.5' is not a valid metadata version" in " ".join(
        (got.stdout + got.stderr).split()
    )
