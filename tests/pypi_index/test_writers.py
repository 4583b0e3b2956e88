"""Who may write which project, through the index's WSGI app as pypiserver runs it: named
publishers limited to patterns, upload tokens (upload only, their projects, while valid and
bound), 403 with one line naming the project, audit lines naming the writer, nothing stored
for a refused write."""

from __future__ import annotations

import base64
import io
import json
import time

import pytest

from pypi_index import contract, upload_tokens
from pypi_index.server import build_app
from task.credentials import credentials_document
from tests.support.index_support import wheel, wheel_name
from tests.support.local_run_support import multipart, multipart_upload

PASSWORD = "A" * 32
KEY = "0123456789abcdef" * 4
PUBLISHER = "github:acme/widgets/release.yml"


def mint(**over) -> str:
    now = int(time.time())
    claims = {
        "pub": PUBLISHER,
        "projects": ["acme-*"],
        "nbf": now - 1,
        "exp": now + 900,
        "jti": "00ff",
        "repository": "acme/widgets",
        "workflow": "release.yml",
        "run_id": "42",
    }
    return upload_tokens.mint(KEY, claims | over)


@pytest.fixture
def index(tmp_path, capfd):
    users = {"ci": credentials_document("ci", PASSWORD), "all": credentials_document("all", PASSWORD)}
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text("".join(u["pypiserver_htpasswd"] + "\n" for u in users.values()))
    packages = tmp_path / "packages"
    packages.mkdir()
    environ = {
        contract.ENV_PUBLISHERS: "ci,all",
        contract.ENV_PROJECT_RIGHTS: "ci team-a-*\n",
        contract.ENV_TRUSTED_PUBLISHERS: json.dumps([{"id": PUBLISHER, "projects": ["acme-*", "shared"]}]),
        contract.ENV_UPLOAD_TOKEN_KEY: KEY,
    }
    app = build_app(["run", "-a", "update", "-P", str(htpasswd), str(packages)], environ)
    return app, packages, capfd


def call(app, method: str, path: str, user: str, password: str, body: bytes = b"", ctype: str = ""):
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "pypiserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": ctype,
        "HTTP_AUTHORIZATION": f"Basic {auth}",
        "REMOTE_ADDR": "127.0.0.1",
    }
    status = []
    out = b"".join(app(environ, lambda s, h, *a: status.append(s)))
    return status[0], out.decode()


def upload(app, project: str, user: str, password: str):
    body, ctype = multipart_upload(wheel_name(project, "1.0"), wheel(project, "1.0"))
    return call(app, "POST", "/", user, password, body, ctype)


def audit_lines(capfd) -> list[dict]:
    return [json.loads(x) for x in capfd.readouterr().out.splitlines() if x.startswith('{"audit"')]


def stored(packages) -> list[str]:
    return sorted(p.name for p in packages.iterdir() if not p.name.startswith("."))


def test_a_limited_user_publishes_its_projects_and_gets_403_naming_another(index):
    app, packages, capfd = index
    assert upload(app, "team-a-core", "ci", PASSWORD)[0].startswith("200")
    status, body = upload(app, "Team_B_Core", "ci", PASSWORD)
    assert status.startswith("403") and body == "user ci may not publish project 'team-b-core'\n"
    assert stored(packages) == [wheel_name("team-a-core", "1.0")], "nothing stored for the refused upload"
    lines = audit_lines(capfd)
    assert [(x["user"], x["project"], x["result"], x["publisher"]) for x in lines] == [
        ("ci", "team-a-core", "ok", None),
        ("ci", "team-b-core", "refused", None),
    ]
    assert lines[1]["filename"] == wheel_name("Team_B_Core", "1.0")


def test_a_limited_user_cannot_yank_or_remove_elsewhere(index):
    app, _, _ = index
    body, ctype = multipart({":action": "yank", "name": "other", "version": "1.0"})
    status, text = call(app, "POST", "/", "ci", PASSWORD, body, ctype)
    assert status.startswith("403") and "project 'other'" in text
    body, ctype = multipart({":action": "remove_pkg", "name": "other", "version": "1.0"})
    assert call(app, "POST", "/", "ci", PASSWORD, body, ctype)[0].startswith("403")


def test_an_unlimited_user_publishes_anything(index):
    app, _, _ = index
    assert upload(app, "whatever", "all", PASSWORD)[0].startswith("200")


def test_an_upload_token_publishes_its_projects_and_the_audit_names_the_publisher(index):
    app, packages, capfd = index
    assert upload(app, "acme-widgets", "__token__", mint())[0].startswith("200")
    (line,) = audit_lines(capfd)
    assert line["user"] == PUBLISHER and line["filename"] == wheel_name("acme-widgets", "1.0")
    assert line["publisher"] == {
        "id": PUBLISHER,
        "repository": "acme/widgets",
        "workflow": "release.yml",
        "run_id": "42",
    }


def test_a_token_for_project_a_cannot_upload_project_b(index):
    app, packages, _ = index
    status, body = upload(app, "shared", "__token__", mint(projects=["acme-*"]))
    assert status.startswith("403")
    assert body == f"trusted publisher {PUBLISHER} may not publish project 'shared'\n"
    assert stored(packages) == []


def test_a_narrowed_binding_applies_to_tokens_already_minted(tmp_path, index):
    app, _, _ = index
    assert upload(app, "zeta", "__token__", mint(projects=["*"]))[0].startswith("403"), "the binding's projects"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: mint(exp=int(time.time()) - 1), id="expired"),
        pytest.param(lambda: mint(nbf=int(time.time()) + 60), id="not-yet-valid"),
        pytest.param(lambda: upload_tokens.mint("f" * 64, {"pub": PUBLISHER, "nbf": 0, "exp": 2**40}), id="other-key"),
        pytest.param(lambda: mint(pub="github:acme/gone/release.yml"), id="unbound-publisher"),
        pytest.param(lambda: "pypi-" + "A" * 40, id="junk"),
    ],
)
def test_a_bad_token_uploads_nothing(index, token):
    app, packages, capfd = index
    status, _ = upload(app, "acme-widgets", "__token__", token())
    assert status.startswith("403")
    assert stored(packages) == []
    assert [x["result"] for x in audit_lines(capfd)] == ["failed-login"]


def test_a_revoked_token_uploads_nothing(index):
    app, packages, _ = index
    token = mint(jti="0bad")
    upload_tokens.revoke(str(packages), "0bad")
    assert upload(app, "acme-widgets", "__token__", token)[0].startswith("403")
    assert stored(packages) == []


def test_a_token_only_uploads(index):
    app, _, _ = index
    body, ctype = multipart({":action": "remove_pkg", "name": "acme-widgets", "version": "1.0"})
    status, text = call(app, "POST", "/", "__token__", mint(), body, ctype)
    assert status.startswith("403") and "an upload token may only upload files, not remove_pkg" in text


def test_nginx_token_check_answers_204_or_401_with_the_reason(index):
    app, _, _ = index
    assert call(app, "GET", contract.TOKEN_CHECK_PATH, "__token__", mint())[0] == "204 No Content"
    assert call(app, "GET", contract.TOKEN_CHECK_PATH, "__token__", mint(exp=1))[0] == "401 upload token expired"
    assert call(app, "GET", contract.TOKEN_CHECK_PATH, "ci", PASSWORD)[0].startswith(
        "401 upload tokens log in as __token__"
    )
