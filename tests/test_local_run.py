"""Real clients against the local run of the task (tools/local_task.py): twine, pip, auth.

Each test module starts its own task (nginx + pypiserver on free loopback ports) over a
small generated repository; loads are a handful of requests.
"""

from __future__ import annotations

import time

import pytest
from local_run_support import (auth_header, heavy_spec, http, pip, start_task, twine_upload, upload,
                               wait_until_listed)

from components import task_design as td
from tools import repo_gen
from tools.loadgen import throwaway_wheel


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    t = start_task(tmp_path_factory.mktemp("local-run"))
    yield t
    t.stop()


@pytest.fixture
def creds(task):
    return auth_header(task.credentials["username"], task.credentials["password"])


@pytest.fixture
def wrong(task):
    return auth_header(task.credentials["username"], task.credentials["password"] + "x")


def test_twine_upload_then_pip_download_and_install(task, tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = repo_gen.write_wheel(dist, "uploaded-by-twine", "0.1.0", b"payload")
    result = twine_upload(task, [dist / wheel.filename])
    assert result.returncode == 0, f"twine upload with the stack's credentials must succeed: {result.stderr[-400:]}"
    assert wait_until_listed(task, "uploaded-by-twine", wheel.filename, td.STALENESS_BOUND_SECONDS) is not None
    got = pip(task, "download", "uploaded-by-twine==0.1.0", "-d", str(tmp_path / "dl"))
    assert got.returncode == 0, f"pip download must succeed: {got.stderr[-400:]}"
    assert (tmp_path / "dl" / wheel.filename).read_bytes() == (dist / wheel.filename).read_bytes(), \
        "pip must get exactly the uploaded bytes"
    installed = pip(task, "install", "--target", str(tmp_path / "site"), "uploaded-by-twine==0.1.0")
    assert installed.returncode == 0, f"pip install must succeed: {installed.stderr[-400:]}"
    assert (tmp_path / "site" / "uploaded_by_twine" / "__init__.py").is_file(), "the package must be installed"


@pytest.mark.parametrize("action", ["list", "download", "update"])
def test_wrong_credentials_are_refused_for_each_protected_action(task, wrong, action):
    if action == "list":
        status, _, headers = http("GET", f"{task.url}/simple/demo-000/", wrong)
    elif action == "download":
        status, _, headers = http("GET", f"{task.url}/packages/demo_000-1.0.0-py3-none-any.whl", wrong)
    else:
        filename, content = throwaway_wheel("refused-upload")
        status = upload(task, filename, content, password=task.credentials["password"] + "x")
    assert status == 401, f"{action} with a wrong password must get 401, got {status}"


@pytest.mark.parametrize("path", ["/simple/", "/simple/demo-000/", "/packages/demo_000-1.0.0-py3-none-any.whl",
                                  "/packages/"])
def test_anonymous_reads_are_refused_where_auth_is_on(task, path):
    status, _, headers = http("GET", task.url + path)
    assert status == 401, f"anonymous GET {path} must get 401 (auth on download and list), got {status}"
    assert headers.get("WWW-Authenticate", "").startswith("Basic"), "pip needs the Basic challenge to send credentials"


def test_anonymous_upload_is_refused(task):
    filename, content = throwaway_wheel("anonymous-upload")
    assert upload(task, filename, content, anonymous=True) == 401


def test_health_answers_without_credentials(task):
    status, body, _ = http("GET", task.url + td.HEALTH_PATH)
    assert (status, body.strip()) == (200, b"Ok"), "the ALB health check needs no credentials"


def test_pages_are_served_from_the_cache_on_repeat(task, creds):
    http("GET", f"{task.url}/simple/demo-001/", creds)
    _, _, headers = http("GET", f"{task.url}/simple/demo-001/", creds)
    assert headers.get("X-Cache-Status") == "HIT", "a repeated page must come from nginx's cache"


def test_downloads_are_served_by_nginx_from_the_package_folder(task, creds):
    name = "demo_002-1.0.1-py3-none-any.whl"
    status, body, headers = http("GET", f"{task.url}/packages/{name}", creds)
    assert status == 200 and body == (task.packages_dir / name).read_bytes(), "the file's exact bytes"
    assert "X-Cache-Status" not in headers, "no proxying (and no cache) involved: nginx read the file itself"


def test_reupload_of_an_existing_version_is_a_conflict(task):
    filename, content = throwaway_wheel("reuploaded", "1.0.0")
    assert upload(task, filename, content) == 200, "first upload accepted"
    assert upload(task, filename, content) == 409, "the same version again must get 409"


def test_twine_skip_existing_succeeds_on_a_reupload(task, tmp_path):
    wheel = repo_gen.write_wheel(tmp_path, "twice-uploaded", "1.0.0", b"x")
    assert twine_upload(task, [tmp_path / wheel.filename]).returncode == 0, "first upload"
    again = twine_upload(task, [tmp_path / wheel.filename])
    assert again.returncode != 0, "a plain re-upload must fail (pypiserver answers twine with 400)"
    skipped = twine_upload(task, [tmp_path / wheel.filename], None, "--skip-existing")
    assert skipped.returncode == 0, f"--skip-existing must succeed: {skipped.stdout[-300:]} {skipped.stderr[-300:]}"


def test_new_version_is_installable_within_the_staleness_bound(task, creds, tmp_path):
    first = repo_gen.write_wheel(tmp_path, "fresh-project", "1.0.0", b"one")
    assert upload(task, first.filename, (tmp_path / first.filename).read_bytes()) == 200
    assert wait_until_listed(task, "fresh-project", first.filename, td.STALENESS_BOUND_SECONDS) is not None
    http("GET", f"{task.url}/simple/fresh-project/", creds)  # the page is now cached without 2.0.0
    second = repo_gen.write_wheel(tmp_path, "fresh-project", "2.0.0", b"two")
    assert upload(task, second.filename, (tmp_path / second.filename).read_bytes()) == 200
    elapsed = wait_until_listed(task, "fresh-project", second.filename, td.STALENESS_BOUND_SECONDS + 2)
    assert elapsed is not None and elapsed <= td.STALENESS_BOUND_SECONDS, \
        f"2.0.0 must be listed within {td.STALENESS_BOUND_SECONDS} s, took {elapsed}"
    got = pip(task, "install", "--target", str(tmp_path / "site"), "fresh-project==2.0.0")
    assert got.returncode == 0, f"pip install of the new version must succeed: {got.stderr[-300:]}"


@pytest.fixture(scope="module")
def open_reads_task(tmp_path_factory):
    t = start_task(tmp_path_factory.mktemp("open-reads"), heavy_spec(True, authenticate='["update"]'))
    yield t
    t.stop()


@pytest.mark.parametrize("path", ["/simple/demo-000/", "/packages/demo_000-1.0.0-py3-none-any.whl"])
def test_reads_are_open_when_only_uploads_are_protected(open_reads_task, path):
    status, _, _ = http("GET", open_reads_task.url + path)
    assert status == 200, f"GET {path} must be anonymous when authenticate is ['update'], got {status}"


def test_uploads_stay_protected_when_reads_are_open(open_reads_task):
    filename, content = throwaway_wheel("still-protected")
    assert upload(open_reads_task, filename, content, anonymous=True) == 401


@pytest.fixture(scope="module")
def guide_task(tmp_path_factory):
    t = start_task(tmp_path_factory.mktemp("guide"), heavy_spec(front=False))
    yield t
    t.stop()


def test_guide_design_accepts_its_bcrypt_credentials(guide_task, tmp_path):
    wheel = repo_gen.write_wheel(tmp_path, "guide-upload", "1.0.0", b"g")
    assert twine_upload(guide_task, [tmp_path / wheel.filename]).returncode == 0, "pypiserver alone checks bcrypt"
    got = pip(guide_task, "download", "guide-upload==1.0.0", "-d", str(tmp_path / "dl"))
    assert got.returncode == 0, f"simple-dir lists the upload at once: {got.stderr[-300:]}"


def test_guide_design_refuses_wrong_credentials(guide_task):
    status, _, _ = http("GET", f"{guide_task.url}/simple/demo-000/",
                        auth_header(guide_task.credentials["username"], "not-the-password"))
    assert status == 403, f"pypiserver alone answers a wrong password with 403, got {status}"


def cache_status(task, creds, path: str) -> str:
    status, _, headers = http("GET", task.url + path, creds)
    assert status == 200
    return headers.get("X-Cache-Status", "")


def test_an_expiring_hot_page_is_revalidated_in_the_background(task, creds):
    """Polled often, an expiring page is served STALE (while one background render runs; other
    requests meanwhile see UPDATING), never made to wait (EXPIRED/MISS)."""
    path = "/simple/demo-004/"
    cache_status(task, creds, path)
    seen = []
    deadline = time.monotonic() + td.PAGE_CACHE_SECONDS + td.PAGE_REVALIDATE_SECONDS + td.NGINX_CLOCK_SECONDS + 1
    while time.monotonic() < deadline:
        seen.append(cache_status(task, creds, path))
        time.sleep(0.25)
    assert "STALE" in seen, f"the first request after expiry must get the stale page at once: {seen}"
    assert set(seen) <= {"HIT", "STALE", "UPDATING"}, f"no request may wait for a render: {seen}"
    assert "HIT" in seen[seen.index("STALE"):], f"the background render must have stored a fresh page: {seen}"


def test_a_page_past_its_stale_window_is_rendered_again_before_serving(task, creds):
    """Unrequested for longer than fresh + stale-while-revalidate, a page is not served old:
    the request waits for a fresh render (the staleness bound relies on this)."""
    path = "/simple/demo-005/"
    cache_status(task, creds, path)
    time.sleep(td.PAGE_CACHE_SECONDS + td.PAGE_REVALIDATE_SECONDS + td.NGINX_CLOCK_SECONDS + 0.3)
    assert cache_status(task, creds, path) == "EXPIRED", "an old page must not be served stale"
