"""The task with trusted publishing: the exchange container, the files it runs from, what it
installs, its secrets, and nginx's routes (checked by nginx itself)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from pypi_index import contract
from task.containers import container_definitions, container_definitions_json, task_volumes
from task.oidc_process import EXCHANGE_PACKAGE_DIR, oidc_entry_command, oidc_files
from task.pypiserver_process import project_rights, runtime_environment, runtime_files, without_comments
from task.spec import SITE_PATH, TrustedPublishingSpec
from tests.pypi_index.test_fence import link_distributions
from tests.support.stacks import ROOT
from tests.task.test_rendering import assert_nginx_accepts, unpack_as_the_container_does
from tests.task.test_rendering import spec as plain_spec

KEY_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pypiserver-upload-token-key-AbCdEf"
BINDINGS = [{"id": "github:acme/w/release.yml", "provider": "github", "issuer": "https://x", "projects": ["acme-*"]}]


def spec(**changes):
    tp = TrustedPublishingSpec(
        bindings=json.dumps(BINDINGS),
        audience="pypiserver-heavy",
        token_lifetime_seconds=900,
        key_secret_arn=KEY_ARN,
        key_secret_version="v-1",
    )
    return plain_spec(trusted_publishing=tp, **changes)


def by_name(containers):
    return {c["name"]: c for c in containers}


def test_the_exchange_is_a_non_essential_container_started_once_the_index_is_healthy():
    oidc = by_name(container_definitions(spec()))["oidc"]
    assert oidc["essential"] is False, "the index serves (and named users publish) without it"
    assert oidc["dependsOn"] == [{"containerName": "pypiserver", "condition": "HEALTHY"}]
    assert {m["containerPath"]: m["readOnly"] for m in oidc["mountPoints"]} == {
        "/data/packages": False,
        SITE_PATH: True,
    }
    assert "portMappings" not in oidc, "reached over the task's bridge link only"
    assert "oidc" not in by_name(container_definitions(plain_spec())), "off: no exchange at all"


def test_the_signing_key_comes_pinned_from_its_secret_to_both_checkers():
    containers = by_name(container_definitions(spec()))
    expected = {"name": contract.ENV_UPLOAD_TOKEN_KEY, "valueFrom": f"{KEY_ARN}:key::v-1"}
    assert expected in containers["oidc"]["secrets"] and expected in containers["pypiserver"]["secrets"]
    assert contract.ENV_UPLOAD_TOKEN_KEY not in json.dumps(containers["nginx"]), "nginx never sees the key"
    assert all(contract.ENV_UPLOAD_TOKEN_KEY not in {e["name"] for e in c["environment"]} for c in containers.values())


def test_the_exchange_runs_from_the_site_volume_the_index_unpacks(tmp_path):
    s = spec()
    assert task_volumes(s) == [{"name": "site"}] and task_volumes(plain_spec()) == []
    files = runtime_files(s)
    for path, content in oidc_files().items():
        shipped = without_comments(content) if path.endswith(".py") else content
        assert files[f"site/{path}"] == shipped, "shipped as the index's modules are (code line for line)"
    assert not any("oidc_exchange" in p for p in runtime_files(plain_spec()))
    unpack_as_the_container_does(s, tmp_path)
    unpacked = (tmp_path / "site" / "oidc_exchange" / "app.py").read_text()
    assert unpacked == without_comments((EXCHANGE_PACKAGE_DIR / "app.py").read_text())


def test_pip_installs_only_the_pinned_hashed_wheels():
    command = oidc_entry_command()
    assert "--require-hashes --only-binary :all:" in command
    assert f"-r {SITE_PATH}/oidc_exchange/requirements.txt" in command
    assert command.index("pip install") < command.index("exec env PYTHONPATH") and "gosu pypiserver" in command


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_the_containers_requirements_are_the_tested_releases_each_with_hashes():
    text = (EXCHANGE_PACKAGE_DIR / "requirements.txt").read_text()
    exchange = pins(EXCHANGE_PACKAGE_DIR / "requirements.txt")
    dev = pins(ROOT / "requirements-dev.txt")
    assert set(exchange) == {"pyjwt", "cryptography", "cffi", "pycparser"}
    assert all(dev[name] == version for name, version in exchange.items()), "the tests run what the container gets"
    blocks = re.split(r"\n(?=[a-z])", text.split("\n", 4)[-1].strip())
    for block in blocks:
        name = block.split("==")[0]
        hashes = re.findall(r"--hash=sha256:[0-9a-f]{64}", block)
        # Compiled wheels: one per architecture ECS instances may have (x86_64, arm64).
        assert len(hashes) == (2 if name in ("cryptography", "cffi") else 1), block


def test_the_task_definition_grows_by_less_than_16_kib_with_the_exchange():
    grown = len(container_definitions_json(spec())) - len(container_definitions_json(plain_spec()))
    assert 0 < grown < 16 * 1024, f"{grown} bytes"


def test_the_index_learns_bindings_ids_and_projects_only_and_limited_users():
    env = runtime_environment(spec(users=(replace(plain_spec().users[1], projects=("team-a-*",)),)))
    assert json.loads(env[contract.ENV_TRUSTED_PUBLISHERS]) == [
        {"id": "github:acme/w/release.yml", "projects": ["acme-*"]}
    ]
    limited = spec(users=(replace(plain_spec().users[1], projects=("team-a-*",)),))
    assert contract.ENV_PROJECT_RIGHTS not in runtime_environment(limited), "it travels in the bundles, not the env"
    assert project_rights(limited) == "release team-a-*\n"
    assert project_rights(plain_spec()) == "", "every publisher may write any"


def test_nginx_accepts_the_rendered_config_with_trusted_publishing(tmp_path):
    assert_nginx_accepts(spec(), tmp_path)


def test_the_exchange_imports_with_only_its_containers_libraries(tmp_path):
    """Like the index's fence: a bare interpreter with the site folder the index unpacks and the
    libraries its requirements install, nothing else."""
    site = tmp_path / "site"
    for path, content in runtime_files(spec()).items():
        if path.startswith("site/"):
            target = tmp_path / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
    deps = tmp_path / "deps"
    deps.mkdir()
    link_distributions(deps, ("pyjwt", "cryptography"))
    modules = sorted(f"oidc_exchange.{p.stem}" for p in EXCHANGE_PACKAGE_DIR.glob("*.py") if p.stem != "__init__")
    script = (
        "import importlib, json, sys\n"
        f"sys.path[:0] = [{str(site)!r}, {str(deps)!r}]\n"
        f"for name in ['oidc_exchange', *{modules!r}]:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    run = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    loaded = set(json.loads(run.stdout))
    assert {"oidc_exchange", "jwt", "pypi_index"} <= loaded and "pypiserver" not in loaded
