"""The stress tool (tools/stress.py) against the local run, and its one-line failures."""

from __future__ import annotations

import json

import pytest

from tests.support.local_run_support import start_task
from tools import stress
from tools.local_task import free_port


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    t = start_task(tmp_path_factory.mktemp("stress"))
    yield t
    t.stop()


def run_stress(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        raise SystemExit(stress.main(list(args)))
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def login(task) -> list[str]:
    return ["--username", task.credentials["username"], "--password", task.credentials["password"]]


def test_light_profile_passes_and_writes_json_and_png(task, tmp_path, capsys):
    code, out, _ = run_stress(
        capsys,
        "--url",
        task.url,
        "--profile",
        "light",
        "--max-operations",
        "20",
        *login(task),
        "--output-dir",
        str(tmp_path),
    )
    assert code == 0, f"a healthy index passes the guide's criteria: {out}"
    [result] = tmp_path.glob("light-*.json")
    doc = json.loads(result.read_text())
    assert doc["summary"]["operations"] == 20 and doc["summary"]["errors"] == 0, "20 bounded installs, no errors"
    assert result.with_suffix(".png").stat().st_size > 0, "a latency plot next to the JSON"
    assert "guide's criteria: PASS" in out and "our criteria: PASS" in out


def test_with_uploads_profile_uploads_through_the_front(task, tmp_path, capsys):
    code, out, _ = run_stress(
        capsys,
        "--url",
        task.url,
        "--profile",
        "with-uploads",
        "--max-operations",
        "20",
        "--clients",
        "4",
        *login(task),
        "--output-dir",
        str(tmp_path),
    )
    doc = json.loads(next(tmp_path.glob("with-uploads-*.json")).read_text())
    uploads = [o for o in doc["operations"] if o["kind"] == "upload"]
    assert code == 0 and uploads, f"some operations are uploads: {out}"
    assert all(o["status"] == 200 for o in uploads), "uploads with the stack's credentials are accepted"


def test_credentials_from_the_environment(task, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PYPI_USERNAME", task.credentials["username"])
    monkeypatch.setenv("PYPI_PASSWORD", task.credentials["password"])
    code, _, err = run_stress(
        capsys, "--url", task.url, "--profile", "light", "--max-operations", "5", "--output-dir", str(tmp_path)
    )
    assert code == 0, f"PYPI_USERNAME/PYPI_PASSWORD must be used: {err}"


@pytest.mark.parametrize("password, fragment", [("wrong", "credentials were refused"), (None, "needs credentials")])
def test_refused_credentials_stop_with_one_line(task, capsys, monkeypatch, password, fragment):
    monkeypatch.delenv("PYPI_USERNAME", raising=False)
    monkeypatch.delenv("TWINE_USERNAME", raising=False)
    auth = ["--username", "pypi", "--password", password] if password else []
    code, out, err = run_stress(capsys, "--url", task.url, "--profile", "light", *auth)
    assert code == stress.EXIT_UNREACHABLE and fragment in err, f"expected {fragment!r}, got {err!r}"
    assert err.strip().count("\n") == 0 and "Traceback" not in err, "one line, no traceback, no flood"


def test_unreachable_url_stops_with_one_line(capsys):
    code, _, err = run_stress(capsys, "--url", f"http://127.0.0.1:{free_port()}", "--profile", "light")
    assert code == stress.EXIT_UNREACHABLE and "cannot reach" in err and err.strip().count("\n") == 0


@pytest.mark.parametrize("url", ["", "ftp://host", "not a url"])
def test_bad_url_is_a_one_line_error(capsys, url):
    code, _, err = run_stress(capsys, "--url", url, "--profile", "light")
    assert code == 2 and "URL" in err and err.strip().count("\n") == 0, f"got {err!r}"


def test_unknown_profile_is_a_one_line_error(capsys):
    code, _, err = run_stress(capsys, "--url", "http://127.0.0.1:1", "--profile", "huge")
    assert code == 2 and "--profile" in err and "burst" in err and err.strip().count("\n") == 0
