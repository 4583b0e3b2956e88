"""Real clients against the local run of the task (tools/local_task.py): twine, pip, auth, and
the index API as nginx serves it (static pages, content negotiation, metadata, yank, bad uploads).

Each test module starts its own task (nginx + pypiserver on free loopback ports) over a
small generated repository; loads are a handful of requests.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from task.spec import HEALTH_PATH
from tests.support.index_support import sdist, wheel, wheel_name
from tests.support.local_run_support import (
    auth_header,
    heavy_spec,
    http,
    multipart,
    pip,
    post,
    start_task,
    twine_upload,
    upload,
    upload_full,
)
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
    got = pip(task, "download", "uploaded-by-twine==0.1.0", "-d", str(tmp_path / "dl"))
    assert got.returncode == 0, f"pip download must succeed: {got.stderr[-400:]}"
    assert (tmp_path / "dl" / wheel.filename).read_bytes() == (dist / wheel.filename).read_bytes(), (
        "pip must get exactly the uploaded bytes"
    )
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


@pytest.mark.parametrize(
    "path", ["/simple/", "/simple/demo-000/", "/packages/demo_000-1.0.0-py3-none-any.whl", "/packages/"]
)
def test_anonymous_reads_are_refused_where_auth_is_on(task, path):
    status, _, headers = http("GET", task.url + path)
    assert status == 401, f"anonymous GET {path} must get 401 (auth on download and list), got {status}"
    assert headers.get("WWW-Authenticate", "").startswith("Basic"), "pip needs the Basic challenge to send credentials"


def test_anonymous_upload_is_refused(task):
    filename, content = throwaway_wheel("anonymous-upload")
    assert upload(task, filename, content, anonymous=True) == 401


def test_health_answers_without_credentials(task):
    status, body, _ = http("GET", task.url + HEALTH_PATH)
    assert (status, body.strip()) == (200, b"Ok"), "the ALB health check needs no credentials"


def test_pages_are_static_files_negotiated_by_accept(task, creds):
    html_status, html_body, html_headers = http("GET", f"{task.url}/simple/demo-001/", creds)
    pip_accept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
    status, body, headers = http("GET", f"{task.url}/simple/demo-001/", {**creds, "Accept": pip_accept})
    assert (html_status, status) == (200, 200)
    assert html_headers["Content-Type"].startswith("text/html") and b'href="../../packages/demo_001-' in html_body
    assert headers["Content-Type"] == "application/vnd.pypi.simple.v1+json"
    assert html_headers.get("Vary") == headers.get("Vary") == "Accept", "PEP 691: caches must key on Accept"
    doc = json.loads(body)
    assert doc["meta"]["api-version"] == "1.1" and doc["name"] == "demo-001"
    assert [f["filename"] for f in doc["files"]] == [f"demo_001-1.0.{v}-py3-none-any.whl" for v in range(2)]
    on_disk = (task.packages_dir / doc["files"][0]["filename"]).read_bytes()
    assert doc["files"][0]["hashes"]["sha256"] == hashlib.sha256(on_disk).hexdigest()
    for accept in (
        "text/html",
        "application/vnd.pypi.simple.v1+json;q=0, text/html",
        "*/*",
        "text/html, application/vnd.pypi.simple.v1+json;q=0.5",
    ):
        _, _, h = http("GET", f"{task.url}/simple/demo-001/", {**creds, "Accept": accept})
        assert h["Content-Type"].startswith("text/html"), f"Accept {accept!r} must get HTML"
    _, root, h = http("GET", f"{task.url}/simple/", {**creds, "Accept": "application/vnd.pypi.simple.v1+json"})
    assert {"name": "demo-001"} in json.loads(root)["projects"]


@pytest.mark.parametrize("header", ["Host", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"])
def test_no_request_header_changes_a_page(task, creds, header):
    _, plain, _ = http("GET", f"{task.url}/simple/demo-002/", creds)
    _, poisoned, _ = http("GET", f"{task.url}/simple/demo-002/", {**creds, header: "evil.example"})
    assert poisoned == plain and b"evil" not in poisoned
    _, root, _ = http("GET", f"{task.url}/", {header: "evil.example"})
    assert b"evil" not in root


def test_downloads_are_served_by_nginx_from_the_package_folder(task, creds):
    name = "demo_002-1.0.1-py3-none-any.whl"
    status, body, headers = http("GET", f"{task.url}/packages/{name}", creds)
    assert status == 200 and body == (task.packages_dir / name).read_bytes(), "the file's exact bytes"
    assert (headers["Content-Type"], headers["X-Content-Type-Options"]) == ("application/octet-stream", "nosniff")


@pytest.mark.parametrize(
    "path",
    [
        "/packages/.index/lock",
        "/packages/.index/simple/demo-002/index.json",
        "/packages/.htpasswd",
        "/simple/.index/lock",
    ],
)
def test_the_index_state_and_dotfiles_are_never_served(task, creds, path):
    """The index keeps its records, locks and upload bodies in .index/ on the package volume,
    beside the packages: none of it is reachable, with or without credentials."""
    assert (task.packages_dir / ".index").is_dir(), "the state this guards exists"
    for headers in (creds, {}):
        status, body, _ = http("GET", f"{task.url}{path}", headers)
        assert status in (401, 404) and b"demo" not in body, f"{path}: {status}"


def test_reading_pages_needs_the_list_action_and_files_the_download_action(task):
    """Each location checks its own action's users: a page is a listing, a file a download."""
    import re

    conf = (task.nginx_dir / "nginx.conf").read_text()

    def users_file(location: str) -> str:
        return re.search(r"auth_basic_user_file ([^;]+);", conf[conf.index(location) :]).group(1)

    assert users_file("location ^~ /simple/").endswith("-list")
    assert users_file("location ^~ /packages/").endswith("-download")


def test_a_distribution_holding_a_page_is_still_a_download(task, creds):
    (task.packages_dir / "evil-1.0.zip").write_bytes(b"<script>alert(1)</script>")  # copied in by hand
    status, _, headers = http("GET", f"{task.url}/packages/evil-1.0.zip", creds)
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_core_metadata_is_served_next_to_the_wheel(task, creds):
    filename = wheel_name("with-meta", "1.0")
    assert upload(task, filename, wheel("with-meta", "1.0", requires_python=">=3.12")) == 200
    _, page, _ = http("GET", f"{task.url}/simple/with-meta/", creds)
    status, meta, headers = http("GET", f"{task.url}/packages/{filename}.metadata", creds)
    assert status == 200 and b"Requires-Python: >=3.12" in meta
    assert f'data-core-metadata="sha256={hashlib.sha256(meta).hexdigest()}"'.encode() in page
    assert b'data-requires-python="&gt;=3.12"' in page
    assert http("GET", f"{task.url}/packages/{filename}.metadata")[0] == 401, "metadata is a download: same auth"


def test_reupload_of_an_existing_version_is_a_conflict(task):
    filename, content = throwaway_wheel("reuploaded", "1.0.0")
    assert upload(task, filename, content) == 200, "first upload accepted"
    assert upload(task, filename, content) == 409, "the same version again must get 409"


@pytest.mark.parametrize(
    "first, second",
    [
        ("case-variant-1.0.tar.gz", "Case_Variant-1.0.tar.gz"),
        ("equal-version-1.0.tar.gz", "equal-version-1.0.0.0.tar.gz"),
    ],
)
def test_a_spelling_variant_of_an_existing_file_is_a_conflict(task, first, second):
    project = first.rsplit("-", 1)[0]
    assert upload(task, first, sdist(project, "1.0")) == 200
    assert upload(task, second, sdist(second.rsplit("-", 1)[0], "1.0.0.0")) == 409
    assert not (task.packages_dir / second).exists()


@pytest.mark.parametrize(
    "filename, content, why",
    [
        ("page.html", b"<script>", "Bad filename: page.html"),  # pypiserver's own check, first
        (wheel_name("bad-upload", "1.0"), b"", "empty file"),
        (wheel_name("bad-upload", "1.0"), wheel("bad-upload", "1.0")[:-50], "bad wheel"),
        (wheel_name("bad-upload", "1.0"), wheel("bad-upload", "1.0", metadata_name="other-name"), "name mismatch"),
        (wheel_name("bad-upload", "1.0"), wheel("bad-upload", "1.0", metadata_version="1.1"), "version mismatch"),
        ("bad_upload-1.x-py3-none-any.whl", b"x", "not a valid wheel filename"),
        # pypiserver's case-insensitive check lets U+017F through as an 's'.
        ("requeſts-1.0.tar.gz", sdist("requests", "1.0"), "ASCII letters"),
        ("a+b-1.0.tar.gz", sdist("a-b", "1.0"), "not a valid sdist filename"),
        ("l" * 250 + "-1.0.tar.gz", sdist("l" * 250, "1.0"), "at most"),
    ],
)
def test_bad_uploads_get_a_one_line_4xx(task, filename, content, why):
    status, body, headers = upload_full(task, filename, content)
    text = body.decode()
    assert 400 <= status < 500, f"{why}: got {status} {text!r}"
    assert why in text and text.count("\n") == 1 and headers["Content-Type"].startswith("text/plain"), text
    assert filename not in os.listdir(task.packages_dir)


def test_a_signed_upload_is_published_and_its_signature_ignored(task, creds):
    filename, content = wheel_name("signed-upload", "1.0"), wheel("signed-upload", "1.0")
    body, ctype = multipart(
        {":action": "file_upload"},
        {"content": (filename, content), "gpg_signature": (filename + ".asc", b"-----BEGIN PGP SIGNATURE-----")},
    )
    status, text, _ = post(task.url, task, body, ctype)
    assert status == 200, text
    assert (task.packages_dir / filename).read_bytes() == content
    assert not (task.packages_dir / (filename + ".asc")).exists(), "signatures are ignored, as PyPI does"
    assert filename.encode() in http("GET", f"{task.url}/simple/signed-upload/", creds)[1]


def test_malformed_multipart_gets_a_4xx(task):
    status, body, _ = post(task.url, task, b"--nope\r\ngarbage", "multipart/form-data; boundary=nope")
    assert 400 <= status < 500 and body.count(b"\n") <= 1, (status, body)


def test_yank_and_remove_through_the_upload_api(task, creds):
    for v in ("1.0", "2.0"):
        assert upload(task, wheel_name("yanked-project", v), wheel("yanked-project", v)) == 200
    body, ctype = multipart({":action": "yank", "name": "Yanked_Project", "version": "2.0.0", "reason": "broken"})
    status, text, _ = post(task.url, task, body, ctype)
    assert status == 200, text
    _, page, _ = http("GET", f"{task.url}/simple/yanked-project/", creds)
    assert page.count(b'data-yanked="broken"') == 1 and b"2.0-py3-none-any.whl#" in page
    body, ctype = multipart({":action": "yank", "name": "yanked-project", "version": "2.0"})
    assert post(task.url, task, body, ctype, anonymous=True)[0] == 401, "yank needs the upload credentials"

    body, ctype = multipart({":action": "remove_pkg", "name": "YANKED.project", "version": "1.0"})
    status, text, _ = post(task.url, task, body, ctype)
    assert status == 200, text
    _, page, _ = http("GET", f"{task.url}/simple/yanked-project/", creds)
    assert (
        b"1.0-py3-none-any.whl" not in page and not (task.packages_dir / wheel_name("yanked-project", "1.0")).exists()
    )


def test_twine_skip_existing_succeeds_on_a_reupload(task, tmp_path):
    wheel = repo_gen.write_wheel(tmp_path, "twice-uploaded", "1.0.0", b"x")
    assert twine_upload(task, [tmp_path / wheel.filename]).returncode == 0, "first upload"
    again = twine_upload(task, [tmp_path / wheel.filename])
    assert again.returncode != 0, "a plain re-upload must fail (pypiserver answers twine with 400)"
    skipped = twine_upload(task, [tmp_path / wheel.filename], None, "--skip-existing")
    assert skipped.returncode == 0, f"--skip-existing must succeed: {skipped.stdout[-300:]} {skipped.stderr[-300:]}"


def test_new_version_is_installable_the_moment_the_upload_returns(task, creds, tmp_path):
    first = repo_gen.write_wheel(tmp_path, "fresh-project", "1.0.0", b"one")
    assert upload(task, first.filename, (tmp_path / first.filename).read_bytes()) == 200
    http("GET", f"{task.url}/simple/fresh-project/", creds)
    second = repo_gen.write_wheel(tmp_path, "fresh-project", "2.0.0", b"two")
    assert upload(task, second.filename, (tmp_path / second.filename).read_bytes()) == 200
    # No wait: the page was rewritten before the upload's response.
    got = pip(task, "install", "--target", str(tmp_path / "site"), "fresh-project==2.0.0")
    assert got.returncode == 0, f"pip install of the new version must succeed at once: {got.stderr[-300:]}"


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
    status, _, _ = http(
        "GET", f"{guide_task.url}/simple/demo-000/", auth_header(guide_task.credentials["username"], "not-the-password")
    )
    assert status == 403, f"pypiserver alone answers a wrong password with 403, got {status}"
