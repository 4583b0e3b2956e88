"""Trusted publishing end to end with the real clients, on the local run behind HTTPS: a
local issuer stands in for GitHub Actions (its keys, and the token request endpoint the
runner's ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN point at); `uv publish --trusted-publishing
always` and the GitHub action's exchange script (pypa/gh-action-pypi-publish's
oidc-exchange.py, run from a checkout outside this repository) publish a wheel; pip and uv
install it. Refused at this level too: a repository with no binding, a token for project A
uploading project B, a revoked token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.client_envs import CLIENTS_DIR, client_env
from tests.support.index_support import wheel, wheel_name
from tests.support.local_run_support import auth_header, heavy_spec, http, multipart_upload
from tests.support.real_parts import nginx_available, require_real_part
from tools.local_issuer import REQUEST_TOKEN, LocalIssuer, github_claims
from tools.local_lb import LocalBalancer
from tools.local_task import LocalTask, free_port
from tools.local_tls import generate

# A checkout of pypa/gh-action-pypi-publish (never part of this repository).
ACTION_DIR = Path(os.environ.get("PYPI_PUBLISH_ACTION_DIR", CLIENTS_DIR / "gh-action-pypi-publish"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_real_part(nginx_available(), "nginx")
    tmp = tmp_path_factory.mktemp("trusted")
    tls = generate(tmp / "tls")
    with LocalIssuer(tls) as issuer:
        trusted = {
            "publishers": [
                {
                    "provider": "github",
                    "repository": "acme/widgets",
                    "workflow": "release.yml",
                    "projects": ["acme-*"],
                    "issuer": issuer.url,
                }
            ]
        }
        spec = heavy_spec(trustedPublishing=json.dumps(trusted), zoneId="Z0123456789ABCDEFGHIJ")
        task = LocalTask(spec, tmp / "packages", tmp / "run", free_port(), issuer_ca=tls.ca).start()
        balancer = LocalBalancer(tmp / "lb", targets=[task.port], tls=tls)
        try:
            balancer.start()
            yield task, balancer, issuer, tls
        finally:
            balancer.stop()
            task.stop()


def ci_env(issuer, tls, tmp_path) -> dict[str, str]:
    """What a GitHub runner gives a job with `permissions: id-token: write`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_", "TWINE_", "GOOGLE_"))}
    return env | {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": issuer.request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
        "SSL_CERT_FILE": str(tls.ca),
        "REQUESTS_CA_BUNDLE": str(tls.ca),
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_NO_CONFIG": "1",
    }


def run(cmd, env, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=timeout)


def flat(result: subprocess.CompletedProcess) -> str:
    """Output as one line (twine wraps its messages to the terminal's width)."""
    return " ".join((result.stdout + result.stderr).split())


def dist(tmp_path, project: str, version: str = "1.0") -> Path:
    path = tmp_path / "dist" / wheel_name(project, version)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(wheel(project, version))
    return path


def reader_index(task, balancer) -> str:
    reader = task.users["reader"]
    return f"https://{reader['username']}:{reader['password']}@127.0.0.1:{balancer.port}/simple/"


def published(task) -> list[str]:
    return sorted(p.name for p in task.packages_dir.iterdir() if not p.name.startswith("."))


def test_uv_publishes_with_trusted_publishing_then_pip_and_uv_install(stack, tmp_path):
    task, balancer, issuer, tls = stack
    issuer.claims = github_claims()
    env = ci_env(issuer, tls, tmp_path)
    uv = client_env("uv") / "uv"
    wheel_file = dist(tmp_path, "acme-widgets")
    got = run([uv, "publish", "--trusted-publishing", "always", "--publish-url", balancer.url + "/", wheel_file], env)
    assert got.returncode == 0, got.stderr[-1500:]
    assert wheel_file.name in published(task)
    audit = [x for x in task.audit_lines() if x["action"] == "upload" and x["filename"] == wheel_file.name]
    assert [
        (x["user"], x["publisher"]["repository"], x["publisher"]["workflow"], x["publisher"]["run_id"]) for x in audit
    ] == [("github:acme/widgets/release.yml", "acme/widgets", "release.yml", "1234567")]

    pip = run(
        [
            client_env("pip-current") / "pip", "install", "--no-cache-dir", "--disable-pip-version-check",
            "--target", tmp_path / "pip-target", "--cert", tls.ca, "--index-url", reader_index(task, balancer),
            "acme-widgets==1.0",
        ],
        env,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr[-800:]
    assert (tmp_path / "pip-target" / "acme_widgets-1.0.dist-info").is_dir()
    uv_install = run(
        [
            uv, "pip", "install", "--no-cache", "--python", sys.executable, "--target", tmp_path / "uv-target",
            "--index-url", reader_index(task, balancer), "acme-widgets==1.0",
        ],
        env,
    )  # fmt: skip
    assert uv_install.returncode == 0, uv_install.stderr[-800:]
    assert (tmp_path / "uv-target" / "acme_widgets-1.0.dist-info").is_dir()


def test_uv_shows_the_exchanges_refusal_for_an_unbound_repository(stack, tmp_path):
    task, balancer, issuer, tls = stack
    issuer.claims = github_claims("acme/other")
    before = published(task)
    got = run(
        [
            client_env("uv") / "uv", "publish", "--trusted-publishing", "always", "--publish-url",
            balancer.url + "/", dist(tmp_path, "acme-other"),
        ],
        ci_env(issuer, tls, tmp_path),
    )  # fmt: skip
    assert got.returncode != 0
    assert "invalid-publisher" in got.stderr and "Publisher with matching claims was not found" in got.stderr
    assert published(task) == before


def test_a_token_for_acme_cannot_upload_another_project_nor_after_revocation(stack, tmp_path):
    task, balancer, issuer, tls = stack
    issuer.claims = github_claims()
    minted = mint(balancer, issuer, tls)
    twine = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar", "--cert", tls.ca]
    twine += ["--repository-url", balancer.url + "/", "-u", "__token__", "-p", minted]
    env = ci_env(issuer, tls, tmp_path)
    before = published(task)
    other = run([*twine, dist(tmp_path, "other-project")], env)
    assert other.returncode != 0 and "may not publish project 'other-project'" in flat(other)
    revoke = run(
        [sys.executable, "-c", REVOKE, balancer.url + "/_/oidc/revoke-token", minted],
        env,
    )
    assert revoke.returncode == 0, revoke.stderr
    after = run([*twine, dist(tmp_path, "acme-late")], env)
    assert after.returncode != 0 and "401" in flat(after)
    assert published(task) == before, "nothing stored for refused uploads"


REVOKE = """
import json, sys, urllib.request
body = json.dumps({"token": sys.argv[2]}).encode()
with urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=body, method="POST")) as r:
    assert json.load(r) == {"success": True}
"""


def mint(balancer, issuer, tls) -> str:
    import ssl
    import urllib.request

    context = ssl.create_default_context(cafile=str(tls.ca))
    with urllib.request.urlopen(balancer.url + "/_/oidc/audience", context=context) as r:
        audience = json.load(r)["audience"]
    request = urllib.request.Request(
        balancer.url + "/_/oidc/mint-token", data=json.dumps({"token": issuer.token(audience)}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, context=context) as r:
        return json.load(r)["token"]


def action_script() -> Path:
    """The action's exchange script, from a checkout of pypa/gh-action-pypi-publish (it is not
    redistributed here, and CI has no GitHub access: `make test-action` runs these tests)."""
    script = ACTION_DIR / "oidc-exchange.py"
    require_real_part(
        script.is_file(), f"a checkout of pypa/gh-action-pypi-publish at {ACTION_DIR} (PYPI_PUBLISH_ACTION_DIR)"
    )
    return script


@pytest.mark.github_action
def test_the_github_actions_exchange_script_mints_a_token_twine_uploads_with(stack, tmp_path):
    script = action_script()
    task, balancer, issuer, tls = stack
    issuer.claims = github_claims()
    env = ci_env(issuer, tls, tmp_path) | {
        "GITHUB_ACTIONS": "1",
        "INPUT_REPOSITORY_URL": balancer.url + "/",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    python = client_env("gh-action-exchange") / "python"
    exchange = run([python, script], env)
    assert exchange.returncode == 0, exchange.stderr[-1500:]
    token = exchange.stdout.strip().splitlines()[-1]
    assert token.startswith("pypi-") and f"::add-mask::{token}" in exchange.stderr
    wheel_file = dist(tmp_path, "acme-action")
    upload = run(
        [
            sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar",
            "--repository-url", balancer.url + "/", "-u", "__token__", "-p", token, wheel_file,
        ],
        env,
    )  # fmt: skip
    assert upload.returncode == 0, upload.stdout[-800:] + upload.stderr[-800:]
    assert wheel_file.name in published(task)
    lines = [x for x in task.audit_lines() if x["filename"] == wheel_file.name]
    assert lines and lines[-1]["user"] == "github:acme/widgets/release.yml" and lines[-1]["result"] == "ok"


@pytest.mark.github_action
def test_the_action_reports_the_exchanges_refusal(stack, tmp_path):
    script = action_script()
    task, balancer, issuer, tls = stack
    issuer.claims = github_claims(workflow="ci.yml")
    env = ci_env(issuer, tls, tmp_path) | {
        "GITHUB_ACTIONS": "1",
        "INPUT_REPOSITORY_URL": balancer.url + "/",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    exchange = run([client_env("gh-action-exchange") / "python", script], env)
    assert exchange.returncode == 1
    assert "`invalid-publisher`: valid token, but no corresponding publisher" in exchange.stderr


def test_a_token_minted_on_one_task_uploads_on_another(stack, tmp_path):
    """Tasks share the volume and the signing key's secret, nothing else."""
    task, balancer, issuer, tls = stack
    issuer.claims = github_claims()
    other = LocalTask(
        task.spec, task.packages_dir, tmp_path / "other", free_port(), token_key=task.token_key, issuer_ca=tls.ca
    ).start()
    try:
        token = mint(balancer, issuer, tls)  # through the balancer, which targets the first task only
        wheel_file = dist(tmp_path, "acme-elsewhere")
        body, ctype = multipart_upload(wheel_file.name, wheel_file.read_bytes())
        headers = {"Content-Type": ctype} | auth_header("__token__", token)
        assert http("POST", other.url + "/", headers, body)[0] == 200
        assert wheel_file.name in published(task)
    finally:
        other.stop()


def test_a_minted_token_reads_nothing_and_mints_nothing(stack, tmp_path):
    """An upload token opens uploads to its projects and nothing else: no page, no file, no new
    token (the exchange takes identity tokens only)."""
    task, balancer, issuer, tls = stack
    issuer.claims = github_claims()
    token = mint(balancer, issuer, tls)
    wheel_file = dist(tmp_path, "acme-readback")
    body, ctype = multipart_upload(wheel_file.name, wheel_file.read_bytes())
    as_token = auth_header("__token__", token)
    assert http("POST", task.url + "/", {"Content-Type": ctype} | as_token, body)[0] == 200
    for path in ("/simple/", "/simple/acme-readback/", f"/packages/{wheel_file.name}"):
        assert http("GET", task.url + path, as_token)[0] == 401, path
    status, answer, _ = http(
        "POST",
        task.url + "/_/oidc/mint-token",
        {"Content-Type": "application/json"},
        json.dumps({"token": token}).encode(),
    )
    refusal = json.loads(answer)
    # PyPI's answer to what is not an identity token: "malformed JWT" (invalid-payload).
    assert status == 422 and "token" not in refusal and refusal["errors"][0]["code"] == "invalid-payload", answer
