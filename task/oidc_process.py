"""The exchange container (oidc_exchange/): its files, environment, secrets and entry command.

It runs from the stock pypiserver image too (Python and pip are there). Its modules travel in
the index's archive (task/pypiserver_process.py, `runtime_files`), which the pypiserver
container unpacks into a task volume both containers mount (read-only here): the shared index
modules are not shipped twice, and the task definition stays small. It installs its JWT
library at start from oidc_exchange/requirements.txt: exact versions, hashes required, wheels
only, so nothing but those files can be installed (the task's egress reaches PyPI, as it
reaches the issuers' keys). It is not essential: if it cannot start, the index keeps serving
and named users keep publishing; `/_/oidc/` answers 502 until it is back.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from pypi_index import contract
from task.spec import (
    DATA_DIR,
    PACKAGES_DIR,
    PYPISERVER_USER,
    SITE_DIR,
    Layout,
    TaskSpec,
    TrustedPublishingSpec,
)

EXCHANGE_PACKAGE_DIR = Path(__file__).resolve().parent.parent / "oidc_exchange"
REQUIREMENTS = "requirements.txt"
# What pip installs (the container's own /tmp, writable by root before the drop to its user).
OIDC_DEPENDENCIES_DIR = "/tmp/oidc-dependencies"
# The secret's JSON key holding the upload-token signing key (components/trusted_publishing.py).
SIGNING_KEY_JSON_KEY = "key"


def oidc_files() -> dict[str, str]:
    """The exchange's modules and requirements, by path relative to the site folder, read
    from their files (they import the index's modules, which the same folder holds)."""
    files = {f"oidc_exchange/{p.name}": p.read_text() for p in sorted(EXCHANGE_PACKAGE_DIR.glob("*.py"))}
    files[f"oidc_exchange/{REQUIREMENTS}"] = (EXCHANGE_PACKAGE_DIR / REQUIREMENTS).read_text()
    return files


def index_bindings(tp: TrustedPublishingSpec) -> str:
    """What the index reads of the bindings: each publisher's id and projects."""
    return json.dumps(
        [{"id": b["id"], "projects": b["projects"]} for b in json.loads(tp.bindings)], separators=(",", ":")
    )


def oidc_environment(spec: TaskSpec, layout: Layout, packages_dir: str = PACKAGES_DIR) -> dict[str, str]:
    tp = spec.trusted_publishing
    assert tp is not None
    return {
        contract.ENV_TRUSTED_PUBLISHERS: tp.bindings,
        contract.ENV_OIDC_AUDIENCE: tp.audience,
        contract.ENV_TOKEN_LIFETIME: str(tp.token_lifetime_seconds),
        contract.ENV_OIDC_LISTEN: layout.oidc_listen,
        contract.ENV_PACKAGES_DIR: packages_dir,
    }


def signing_key_secret(tp: TrustedPublishingSpec) -> dict:
    """ECS injects the key from Secrets Manager at start (pinned to a version, like users')."""
    return {
        "name": contract.ENV_UPLOAD_TOKEN_KEY,
        "valueFrom": f"{tp.key_secret_arn}:{SIGNING_KEY_JSON_KEY}::{tp.key_secret_version}",
    }


def oidc_entry_command() -> str:
    """Install the pinned JWT library, then serve as the image's user, from the site folder
    the pypiserver container unpacked (this container starts once that one is healthy)."""
    site = f"{DATA_DIR}/{SITE_DIR}"
    pip = [
        "python", "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check", "--no-input",
        "--require-hashes", "--only-binary", ":all:", "--target", OIDC_DEPENDENCIES_DIR,
        "-r", f"{site}/oidc_exchange/{REQUIREMENTS}",
    ]  # fmt: skip
    run = [
        "env",
        f"PYTHONPATH={site}:{OIDC_DEPENDENCIES_DIR}",
        "gosu",
        PYPISERVER_USER,
        "python",
        "-m",
        "oidc_exchange",
    ]
    return " && ".join([shlex.join(pip), "cd /tmp", "exec " + shlex.join(run)])
