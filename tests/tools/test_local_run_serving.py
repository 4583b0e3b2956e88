"""What the front serves, and what it never does, on the local run of the task: only
distribution names (and their .metadata) and pages, never through a symlink, no header built
from the request path, 405 for other methods on /, and PEP 691 negotiation by q-value."""

from __future__ import annotations

import json
import os
import socket

import pytest

from tests.support.local_run_support import auth_header, http, start_task


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    t = start_task(tmp_path_factory.mktemp("serving"), projects=2)
    yield t
    t.stop()


@pytest.fixture
def creds(task):
    return auth_header(task.credentials["username"], task.credentials["password"])


def raw_get(task, target: str) -> tuple[str, list[str]]:
    """A request line sent as is (urllib would quote it): the status line and header lines."""
    with socket.create_connection(("127.0.0.1", task.port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    return head[0], head[1:]


# -- no header from the request path ------------------------------------------------------------


def test_the_project_shortcut_never_builds_a_header_from_the_path(task):
    status, headers = raw_get(task, "/foo%0d%0aSet-Cookie:%20x=1/")
    assert not any(h.lower().startswith("set-cookie") for h in headers), headers
    assert status.split()[1] == "404", status


def test_the_project_shortcut_still_redirects_a_valid_name(task):
    status, headers = raw_get(task, "/demo-000/")
    assert status.split()[1] == "301" and "Location: /simple/demo-000/" in headers


# -- only distributions, never a symlink ---------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["README.txt", "notes.md", "evil.html", "backup.tar", "README.zip", "a+b-1.0.tar.gz", "x-1.0-py3.whl"]
)
def test_stray_files_in_the_folder_are_never_served(task, creds, name):
    (task.packages_dir / name).write_text("an admin's notes")
    assert http("GET", f"{task.url}/packages/{name}", creds)[0] == 404


def test_a_planted_symlink_to_the_root_serves_nothing(task, creds):
    os.symlink("/", task.packages_dir / "rootlink")
    for path in ("/packages/rootlink/etc/passwd", "/packages/rootlink/etc/hostname"):
        assert http("GET", task.url + path, creds)[0] == 404, path


def test_a_symlink_named_like_a_distribution_is_not_followed(task, creds):
    name = "leak-1.0-py3-none-any.whl"
    os.symlink("/etc/passwd", task.packages_dir / name)
    status, body, _ = http("GET", f"{task.url}/packages/{name}", creds)
    assert status in (403, 404) and b"root:" not in body


def test_a_symlinked_page_folder_is_not_followed(task, creds):
    os.symlink("/etc", task.packages_dir / ".index" / "simple" / "etc-link")
    assert http("GET", f"{task.url}/simple/etc-link/passwd", creds)[0] == 404
    assert http("GET", f"{task.url}/simple/etc-link/", creds)[0] in (403, 404)


@pytest.mark.parametrize("path", ["/simple/demo-000/notes.txt", "/simple/demo-000/.index.json.tmp", "/simple/x.json"])
def test_only_pages_are_served_under_simple(task, creds, path):
    assert http("GET", task.url + path, creds)[0] == 404


@pytest.mark.parametrize(
    "name",
    [
        "torch-2.0.0+cu118-cp311-cp311-linux_x86_64.whl",
        "demo-1!2.0-1build-py3-none-any.whl",
        "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "Legacy-Name-1.0.post1.tar.gz",
        "zipped_sdist-3.0rc1.zip",
    ],
)
def test_any_distribution_name_is_served(task, creds, name):
    (task.packages_dir / name).write_bytes(b"bytes of " + name.encode())
    status, body, _ = http("GET", f"{task.url}/packages/{name}", creds)
    assert (status, body) == (200, b"bytes of " + name.encode())


def test_distributions_and_their_metadata_are_served(task, creds):
    name = "demo_000-1.0.0-py3-none-any.whl"
    assert http("GET", f"{task.url}/packages/{name}", creds)[0] == 200
    assert http("GET", f"{task.url}/packages/{name}.metadata", creds)[0] == 200
    assert http("GET", f"{task.url}/packages/{name}", {})[0] == 401, "the auth check comes first"


# -- methods on / ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_on_the_root_get_405(task, creds, method):
    status, _, headers = http(method, task.url + "/", creds, b"x")
    assert status == 405 and headers.get("Allow") == "GET, HEAD, POST"


# -- q-values ----------------------------------------------------------------------------------------

JSON = "application/vnd.pypi.simple.v1+json"
HTML = "application/vnd.pypi.simple.v1+html"


@pytest.mark.parametrize(
    "accept, expected",
    [
        (f"{JSON}, {HTML}; q=0.1, text/html; q=0.01", "json"),  # pip
        (f"text/html;q=0.9, {JSON};q=0.5", "html"),
        (f"{JSON};q=0.2, text/html", "html"),
        (f"{JSON};q=0.25, text/html;q=0.2", "json"),
        (f"{JSON};q=0.5, text/html;q=0.5", "json"),  # a tie: the first named
        (f"text/html;q=0.5, {JSON};q=0.5", "html"),
        (f"text/html, {JSON}", "html"),
        (f"{JSON};q=0", "html"),
        (f"{JSON};q=0.001, */*;q=0.0001", "json"),
        (f"{JSON};q=0.5, */*", "html"),
        (f"*/*;q=0.1, {JSON}", "json"),
        ("application/vnd.pypi.simple.latest+json;q=0.8, text/html;q=0.7", "json"),
        (f"text/html; charset=utf-8; q=0.3, {JSON};q=0.4", "json"),
        ("*/*", "html"),
        ("", "html"),
    ],
)
def test_accept_q_values_choose_the_format(task, creds, accept, expected):
    headers = {**creds, **({"Accept": accept} if accept else {})}
    status, body, got = http("GET", f"{task.url}/simple/demo-000/", headers)
    assert status == 200
    kind = "json" if got["Content-Type"] == "application/vnd.pypi.simple.v1+json" else "html"
    assert kind == expected, (accept, got["Content-Type"])
    if kind == "json":
        assert json.loads(body)["name"] == "demo-000"
