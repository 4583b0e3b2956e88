"""On the local run: every protected path answers 401 without credentials (never 404, which
would tell a stranger what exists); package files are immutable for caches, pages are not."""

from __future__ import annotations

import json

import pytest

from tests.support.local_run_support import auth_header, http, start_task
from tools import repo_gen


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    t = start_task(tmp_path_factory.mktemp("protected"), projects=1)
    yield t
    t.stop()


PROTECTED = [
    "/simple/",
    "/simple/index.html",
    "/simple/demo-000/",
    "/simple/no-such-project/",
    "/simple/.index",
    "/simple/.hidden/index.json",
    "/packages/",
    "/packages/no_such-1.0-py3-none-any.whl",
    "/packages/no_such-1.0-py3-none-any.whl.metadata",
    "/packages/.index/lock",
    "/packages/.index/projects/demo-000.json",
]


@pytest.mark.parametrize("path", PROTECTED)
def test_without_credentials_a_protected_path_is_401(task, path):
    status, _, headers = http("GET", task.url + path)
    assert status == 401 and headers.get("WWW-Authenticate", "").startswith("Basic")


@pytest.mark.parametrize("path", ["/simple/.index", "/packages/.index/lock", "/packages/.index/projects/demo-000.json"])
def test_with_credentials_the_index_state_is_still_never_served(task, path):
    assert (
        http("GET", task.url + path, auth_header(task.credentials["username"], task.credentials["password"]))[0] == 404
    )


def test_package_files_are_immutable_and_pages_are_not(task):
    creds = auth_header(task.credentials["username"], task.credentials["password"])
    project = repo_gen.project_name(0, "demo")
    name = next(p.name for p in task.packages_dir.iterdir() if p.name.endswith(".whl"))
    status, _, headers = http("GET", f"{task.url}/packages/{name}", creds)
    assert status == 200 and headers["Cache-Control"] == "max-age=31536000, immutable"
    status, _, headers = http("GET", f"{task.url}/simple/{project}/", creds)
    assert status == 200 and headers["Cache-Control"] == "no-cache", "pages change with every upload"
    status, _, headers = http("GET", f"{task.url}/packages/missing-1.0-py3-none-any.whl", creds)
    assert status == 404 and "immutable" not in headers.get("Cache-Control", ""), "a 404 may turn into a file"


def test_without_trusted_publishing_oidc_answers_pypis_disabled(task):
    """What PyPI answers when the feature is off; the GitHub action reports it as "disabled"."""
    status, body, headers = http("GET", task.url + "/_/oidc/audience")
    assert status == 403 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"message": "Trusted publishing functionality not enabled"}
