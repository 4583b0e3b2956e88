"""Rendering of the task (task/): both designs, config, credentials."""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import json
import re
import shlex
import subprocess
import sys
import tokenize
from dataclasses import replace
from pathlib import Path

import bcrypt
import pytest
from passlib.apache import HtpasswdFile
from pypiserver.config import Config as PypiserverConfig

from pypi_index.dist import try_parse_filename
from task import bundles
from task.containers import (
    bundle_members,
    container_definitions,
    container_definitions_json,
    load_balanced_container,
)
from task.credentials import credentials_document, user_document
from task.nginx import (
    SDIST_NAME,
    WHEEL_NAME,
    htpasswd_files,
    nginx_config,
    publishers_map,
    publishers_map_command,
    shipped_nginx_config,
)
from task.pypiserver_process import (
    ARCHIVE_PATH,
    gunicorn_config,
    pypiserver_args,
    pypiserver_backend,
    pypiserver_entry_command,
    pypiserver_users,
    runtime_environment,
    runtime_files,
)
from task.spec import (
    BCRYPT_COST,
    DATA_DIR,
    FRONT_CPU_UNITS,
    FRONT_MEMORY_MIB,
    FRONT_MEMORY_RESERVATION_MIB,
    FRONTED_CONTAINER_LAYOUT,
    GUNICORN_CONF_PATH,
    HEALTH_PATH,
    NGINX_CONF_PATH,
    PACKAGES_DIR,
    PYPISERVER_BEHIND_FRONT_PORT,
    UPLOAD_TIMEOUT_SECONDS,
    SecretRef,
    TaskSpec,
    TaskUser,
    layout_for,
)
from tests.support.real_parts import nginx_available, require_real_part
from tests.support.stacks import ROOT, shipped_files
from tools.local_task import nginx_binary

PASSWORD = "Zq3xT9mR2vL8kP4wN6yB1cH5"  # 24 alphanumerics, like the component's RandomPassword


BUNDLE_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pypiserver-task-credentials-0-AbCdEf"
BUNDLE_VERSION = "5fd642e0-44ed-d79e-1c62-960f310fd30b"


def spec(**changes) -> TaskSpec:
    base = TaskSpec(
        pypiserver_image="pypiserver/pypiserver:v2.4.2",
        nginx_image="nginx:1.28.0-alpine",
        workers=4,
        pypiserver_cpu=512,
        pypiserver_memory=384,
        pypiserver_memory_reservation=320,
        authenticate=("download", "list", "update"),
        fallback_to_pypi=False,
        front_enabled=True,
        log_group="/ecs/pypiserver",
        region="us-east-1",
        users=(TaskUser("ci", ("download", "list")), TaskUser("release", ("download", "list", "update"))),
        bundles=(SecretRef(BUNDLE_ARN, BUNDLE_VERSION),),
    )
    return replace(base, **changes)


def parsed(s: TaskSpec, tmp_path) -> PypiserverConfig:
    """pypiserver's own parser applied to the rendered args (package folder made local)."""
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(credentials_document("pypi", PASSWORD)["pypiserver_htpasswd"] + "\n")
    layout = replace(layout_for(s), packages_dir=str(tmp_path), pypiserver_htpasswd=str(htpasswd))
    return PypiserverConfig.from_args(pypiserver_args(s, layout))


def gunicorn_settings(s: TaskSpec):
    """gunicorn's own loader applied to the rendered gunicorn.conf.py."""
    from gunicorn.config import Config as GunicornConfig

    namespace: dict = {"__file__": GUNICORN_CONF_PATH}  # as gunicorn loads it
    exec(gunicorn_config(s), namespace)
    cfg = GunicornConfig()
    for key, value in namespace.items():
        if key in cfg.settings:
            cfg.set(key, value)
    return cfg


def by_name(containers: list[dict]) -> dict[str, dict]:
    return {c["name"]: c for c in containers}


def location_block(conf: str, header: str) -> str:
    """The text of one `location ... {` block (nested blocks included) of the public server."""
    conf = conf[conf.index("backlog=4096") :]
    start = conf.index(f"location {header} {{")
    depth, i = 0, conf.index("{", start)
    while True:
        depth += {"{": 1, "}": -1}.get(conf[i], 0)
        if depth == 0:
            return conf[start : i + 1]
        i += 1


# -- the two designs -----------------------------------------------------------------


def test_front_off_is_pypiserver_alone_with_the_host_port():
    containers = container_definitions(spec(front_enabled=False))
    assert [c["name"] for c in containers] == ["pypiserver"], "front off renders only pypiserver"
    assert containers[0]["portMappings"] == [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}], (
        "pypiserver gets the dynamic host port when alone"
    )


def test_front_on_gives_only_nginx_a_host_port():
    containers = by_name(container_definitions(spec()))
    assert set(containers) == {"pypiserver", "nginx"}, "front on renders nginx + pypiserver"
    assert "portMappings" not in containers["pypiserver"], "pypiserver must not be reachable from outside the task"
    assert containers["nginx"]["portMappings"] == [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}], (
        "nginx gets the dynamic host port"
    )


def test_load_balanced_container_follows_the_design():
    assert load_balanced_container(spec()) == ("nginx", 8080), "ALB targets nginx when the front is on"
    assert load_balanced_container(spec(front_enabled=False)) == ("pypiserver", 8080), (
        "ALB targets pypiserver when alone"
    )


def test_front_off_runs_pypiserver_as_the_terraform_module_does(tmp_path):
    parsed_config = parsed(spec(front_enabled=False), tmp_path)
    assert parsed_config.backend_arg == "simple-dir", "the module's backend"
    assert set(parsed_config.authenticate) == {"download", "list", "update"}, "bcrypt check on every protected action"
    assert parsed_config.server_method == "gunicorn"
    assert parsed_config.health_endpoint == HEALTH_PATH, "health endpoint instead of /"


def test_front_off_gunicorn_config_is_the_modules():
    settings = gunicorn_settings(spec(front_enabled=False, workers=4))
    assert (settings.workers, settings.worker_class_str, settings.preload_app) == (4, "gevent", True), (
        "the module's gunicorn.conf.py: 4 gevent workers, preloaded"
    )


def test_front_on_gunicorn_config_uses_sync_workers_from_sizing(monkeypatch):
    s = spec(workers=6)
    for key, value in runtime_environment(s).items():
        monkeypatch.setenv(key, value)
    settings = gunicorn_settings(s)
    assert (settings.workers, settings.worker_class_str) == (6, "sync"), "workers from sizing, sync class"
    assert settings.timeout == UPLOAD_TIMEOUT_SECONDS, "a worker may spend the front's upload timeout on one upload"


def test_pypiserver_walks_nothing_unless_asked():
    assert pypiserver_backend(spec()) == pypiserver_backend(spec(front_enabled=False)) == "simple-dir"


def code_of(source: str) -> tuple[str, list[tuple[int, int]]]:
    """A module's code (its AST without docstrings) and where each statement starts."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]
    starts = [
        (n.lineno, n.col_offset) for n in ast.walk(tree) if isinstance(n, ast.stmt) and not isinstance(n, ast.Pass)
    ]
    return ast.dump(tree), sorted(starts)


def test_runtime_files_are_the_task_modules_code_at_their_line_numbers():
    files = runtime_files(spec())
    package = ROOT / "pypi_index"
    expected = {
        f"site/pypi_index/{m.name}": m.read_text() for m in package.glob("*.py") if m.name != "gunicorn_conf.py"
    }
    expected["gunicorn.conf.py"] = (package / "gunicorn_conf.py").read_text()
    assert set(files) == set(expected), "every module of the index package, and nothing kept in strings"
    for path, source in expected.items():
        shipped = files[path]
        assert shipped.count("\n") == source.count("\n"), f"{path}: a traceback's line numbers are the repository's"
        assert code_of(shipped) == code_of(source), f"{path}: the same code at the same places"
        tokens = tokenize.generate_tokens(io.StringIO(shipped).readline)
        assert not any(t.type == tokenize.COMMENT for t in tokens), f"{path}: comments stay home"
    assert {"store.py", "dist.py", "pages.py", "scan.py", "server.py"} <= {m.name for m in package.glob("*.py")}
    assert runtime_files(spec(front_enabled=False)) == {}, "the guide's design runs pypiserver unchanged"


def unpack_as_the_container_does(s: TaskSpec, tmp_path) -> None:
    """Run the pypiserver container's entry command up to the server's start, with tmp_path
    standing for its /data."""
    container = by_name(container_definitions(s))["pypiserver"]
    env = {e["name"]: e["value"] for e in container["environment"]}
    script = container["command"][0].replace(ARCHIVE_PATH, str(tmp_path / "archive")).replace(DATA_DIR, str(tmp_path))
    script = script[: script.index(" && cd ")] + " && true"
    # The image's `python`: here, the one running the tests.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    bundle = "pypiserver x:y\npypiserver z:w\npublishers release\n"
    path = f"{bin_dir}:/usr/bin:/bin"
    result = subprocess.run(
        ["/bin/sh", "-c", script], env={**env, "TASK_BUNDLE_0": bundle, "PATH": path}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_entry_command_writes_each_module_where_gunicorn_finds_it(tmp_path):
    s = spec()
    unpack_as_the_container_does(s, tmp_path)
    for path, content in runtime_files(s).items():
        assert (tmp_path / path).read_text() == content, f"{path} must arrive in the container unchanged"


def test_task_definition_fits_the_ecs_size_limit():
    # ECS refuses task definitions over 64 KiB ("Task definition size", Amazon ECS service
    # quotas). The modules travel in the environment (compressed); the room left must hold what
    # other settings add: the most users a stack may have, with trusted publishing on (the
    # rendered worst case is a variant of tests/components/test_deployability.py).
    size = len(container_definitions_json(spec()).encode())
    assert size < 0.6 * 64 * 1024, f"container definitions are {size} bytes"


def test_front_on_pypiserver_checks_only_uploads_itself(tmp_path):
    parsed_config = parsed(spec(), tmp_path)
    assert list(parsed_config.authenticate) == ["update"], (
        "behind nginx, pypiserver keeps its own check on uploads only"
    )
    assert parsed_config.port == PYPISERVER_BEHIND_FRONT_PORT


def test_pypiserver_without_any_protected_action_gets_no_password_file():
    args = pypiserver_args(spec(front_enabled=True, authenticate=("download", "list")))
    assert args[args.index("-a") + 1] == "." and args[args.index("-P") + 1] == ".", (
        "pypiserver must be told explicitly that it authenticates nothing"
    )
    assert "PYPISERVER_HTPASSWD" not in pypiserver_entry_command(spec(authenticate=("list",)))


def test_fallback_to_pypi_is_disabled_unless_configured():
    assert "--disable-fallback" in pypiserver_args(spec()), "fallback off by default (dependency confusion)"
    assert "--disable-fallback" not in pypiserver_args(spec(fallback_to_pypi=True))


def test_listings_carry_sha256_so_pip_verifies_downloads(tmp_path):
    assert parsed(spec(), tmp_path).hash_algo == "sha256"


@pytest.mark.parametrize("front", [True, False])
def test_no_health_check_touches_the_root_page(front):
    for c in container_definitions(spec(front_enabled=front)):
        probe = " ".join(c["healthCheck"]["command"])
        urls = re.findall(r"http://[^' ]+", probe)
        assert urls and all(u.endswith(HEALTH_PATH) for u in urls), f"{c['name']} probes {urls}, expected /health"


def test_pypiserver_health_probe_uses_the_port_it_listens_on():
    for front in (True, False):
        s = spec(front_enabled=front)
        port = pypiserver_args(s)[pypiserver_args(s).index("-p") + 1]
        probe = by_name(container_definitions(s))["pypiserver"]["healthCheck"]["command"][-1]
        assert f":{port}{HEALTH_PATH}" in probe, f"front={front}: probe must hit port {port}"


def test_images_come_from_the_spec():
    digest = "nginx@sha256:" + "0" * 64
    containers = by_name(
        container_definitions(spec(pypiserver_image="pypiserver/pypiserver:v2.4.1", nginx_image=digest))
    )
    assert containers["pypiserver"]["image"] == "pypiserver/pypiserver:v2.4.1", "pypiserver image comes from config"
    assert containers["nginx"]["image"] == digest, "nginx image comes from config (pinnable by digest)"


def test_container_sizes_come_from_the_spec_and_front_constants():
    containers = by_name(container_definitions(spec()))
    p, n = containers["pypiserver"], containers["nginx"]
    assert (p["cpu"], p["memory"], p["memoryReservation"]) == (512, 384, 320), "pypiserver sized from the spec"
    assert (n["cpu"], n["memory"], n["memoryReservation"]) == (
        FRONT_CPU_UNITS,
        FRONT_MEMORY_MIB,
        FRONT_MEMORY_RESERVATION_MIB,
    ), "nginx sized by the exported constants"


def test_nginx_container_receives_the_rendered_config_through_its_environment():
    s = spec()
    nginx = by_name(container_definitions(s))["nginx"]
    env = {e["name"]: e["value"] for e in nginx["environment"]}
    conf = nginx_config(s)
    directives = [line.strip() for line in conf.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert env["NGINX_CONF"].splitlines() == directives, "the image gets the rendered directives, comments stay home"
    script = nginx["command"][0]
    assert f"> {NGINX_CONF_PATH}" in script and script.endswith("exec nginx"), "config written, then nginx exec'd"


def test_the_guides_design_runs_the_image_entrypoint_with_the_rendered_args():
    s = spec(front_enabled=False)
    tail = pypiserver_entry_command(s).split("exec ", 1)[1]
    assert shlex.split(tail) == ["/entrypoint.sh", *pypiserver_args(s)], "entrypoint gets exactly the rendered args"


def test_behind_the_front_the_index_runs_as_the_images_user_from_data():
    s = spec()
    script = pypiserver_entry_command(s)
    head, tail = script.split(" && cd /data && exec ", 1)
    expected = ["env", "PYTHONPATH=/data/site", "gosu", "pypiserver", "python", "-m", "pypi_index"]
    assert shlex.split(tail) == [*expected, *pypiserver_args(s)], "the index's entry point gets the rendered args"


def test_pypiserver_container_receives_the_rendered_gunicorn_config():
    alone = by_name(container_definitions(spec(front_enabled=False)))["pypiserver"]
    env = {e["name"]: e["value"] for e in alone["environment"]}
    assert env["GUNICORN_CONF"] == gunicorn_config(spec(front_enabled=False)), "the Terraform module's config"
    assert f'"$GUNICORN_CONF" > {GUNICORN_CONF_PATH}' in alone["command"][0], (
        "written where the image's gunicorn looks (/data/gunicorn.conf.py)"
    )
    fronted = by_name(container_definitions(spec()))["pypiserver"]
    assert shipped_files(fronted)["gunicorn.conf.py"] == gunicorn_config(spec()), "shipped in the archive"
    assert "python -m tarfile --filter data -e /tmp/task-files.tar.bz2 /data" in fronted["command"][0], (
        "unpacked where the image's gunicorn looks"
    )


def test_each_container_references_the_bundle_once_whole_and_pinned_to_its_version():
    # ECS: "arn:...:secret:secret-name:json-key:version-stage:version-id" (Amazon ECS developer
    # guide); an empty JSON key hands over the whole secret, the version id pins it.
    seen = {}
    for c in container_definitions(spec()):
        for secret in c.get("secrets", []):
            arn, key, stage, version = secret["valueFrom"].rsplit(":", 3)
            assert (arn, key, stage, version) == (BUNDLE_ARN, "", "", BUNDLE_VERSION), secret
            seen.setdefault(c["name"], []).append(secret["name"])
    assert seen == {"nginx": ["TASK_BUNDLE_0"], "pypiserver": ["TASK_BUNDLE_0"]}


def test_entry_commands_compose_each_file_from_the_bundle(tmp_path):
    s = spec()
    documents = {
        "ci": credentials_document("ci", PASSWORD),
        "release": user_document("release", [(0, PASSWORD), (1, PASSWORD[::-1])]),
    }
    value = bundles.document(bundles.chunks(s)[0], bundle_members(s), documents)
    containers = by_name(container_definitions(s))
    nginx, pypiserver = containers["nginx"], containers["pypiserver"]
    env = {e["name"]: e["value"] for e in nginx["environment"]}
    env.update({r["name"]: value for r in nginx["secrets"]})
    script = nginx["command"][0].replace("/etc/nginx/", f"{tmp_path}/")
    result = subprocess.run(
        ["/bin/sh", "-c", script[: script.index("exec nginx")] + "true"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    files = {a: (tmp_path / f"htpasswd-{a}").read_text().split() for a in ("download", "list", "update")}
    everyone = [
        documents["ci"]["nginx_htpasswd"],
        *documents["release"]["nginx_htpasswd"].split("\n"),
    ]
    assert files == {"download": everyone, "list": everyone, "update": everyone}
    assert (tmp_path / "publishers.map").read_text() == "release @publish;\n", "nginx's map of who may write"
    # pypiserver: its htpasswd file and the publishers, exported for the index.
    env = {r["name"]: value for r in pypiserver["secrets"]}
    script = pypiserver["command"][0].replace("/data/", f"{tmp_path}/")
    script = script[script.index('printf "%s\\n"') : script.index(" && cd ")] + ' && echo "$PYPI_INDEX_PUBLISHERS"'
    result = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "release", "only the publisher may publish"
    assert (tmp_path / ".htpasswd").read_text().split() == [
        documents["ci"]["pypiserver_htpasswd"],
        *documents["release"]["pypiserver_htpasswd"].split("\n"),
    ]


def test_users_of_each_nginx_file_are_those_allowed_its_action():
    only_release = spec(users=(TaskUser("ci", ("list",)), TaskUser("release", ("download", "update"))))
    assert htpasswd_files(only_release) == {"download": ("release",), "list": ("ci",), "update": ("ci", "release")}


def test_front_off_lets_in_only_users_allowed_every_authenticated_action():
    assert pypiserver_users(spec(front_enabled=False)) == ("release",), "pypiserver alone cannot tell actions apart"
    assert pypiserver_users(spec(front_enabled=False, authenticate=("update",))) == ("release",)
    assert pypiserver_users(spec()) == ("ci", "release")


def test_rendering_is_deterministic():
    assert container_definitions_json(spec()) == container_definitions_json(spec()), "two renders must match"
    assert json.loads(container_definitions_json(spec())) == container_definitions(spec())


# -- nginx config --------------------------------------------------------------------


def test_reads_never_reach_pypiserver():
    conf = nginx_config(spec())
    public = conf[conf.index("backlog=4096") :]
    assert public.count("proxy_pass") == 1 and "proxy_pass http://pypiserver;" in location_block(conf, "@publish"), (
        "only POST / (uploads, removals, yanks) is passed to pypiserver"
    )
    assert "proxy_cache" not in conf and "open_file_cache" not in conf, "no cache can hold an old page or file"


def test_no_request_header_reaches_pypiserver_as_a_host():
    block = location_block(nginx_config(spec()), "@publish")
    assert "proxy_set_header Host pypiserver;" in block and 'proxy_set_header X-Forwarded-Host "";' in block
    assert "absolute_redirect off;" in nginx_config(spec()), "nginx's own redirects stay relative"


@pytest.mark.parametrize(
    "action, location", [("download", "^~ /packages/"), ("list", "^~ /simple/"), ("update", "@update")]
)
def test_each_protected_action_is_checked_by_nginx(action, location):
    block = location_block(nginx_config(spec()), location)
    assert 'auth_basic "pypiserver";' in block, f"{location} must require auth when {action} is protected"


@pytest.mark.parametrize("action, location", [("download", "^~ /packages/"), ("list", "^~ /simple/")])
def test_unprotected_actions_are_open_at_nginx(action, location):
    others = tuple(a for a in ("download", "list", "update") if a != action)
    block = location_block(nginx_config(spec(authenticate=others)), location)
    assert "auth_basic off;" in block, f"{location} must be open when {action} is not protected"


def test_only_publishers_writes_go_to_the_index_and_every_write_is_checked_first():
    conf = nginx_config(spec())
    block = location_block(conf, "@update")
    assert 'auth_basic "pypiserver";' in block and "try_files /.write $write_target;" in block
    # nginx: the login's user (a rotated login <user>+r<n> is <user>), then the publishers' map.
    [pattern] = re.findall(r'"~(\^\(\?<principal>.*?\$)" \$principal;', conf)
    mapped = {line.split()[0] for line in publishers_map(spec().publishers).splitlines()}
    for login, publishes in (("release", True), ("release+r12", True), ("ci", False), ("release2", False)):
        match = re.fullmatch(pattern.replace("(?<principal>", "(?P<principal>"), login)
        user = match.group("principal") if match else login
        assert (user in mapped) is publishes, login
    assert "return 403" in location_block(conf, "@refused_write")


@pytest.mark.parametrize(
    "name",
    [
        "demo-1.0-py3-none-any.whl",
        "torch-2.0.0+cu118-cp311-cp311-linux_x86_64.whl",
        "demo-1!2.0-1build-py3-none-any.whl",
        "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "Legacy-Name-1.0.post1.tar.gz",
        "zipped_sdist-3.0rc1.zip",
        "README.zip",
        "a+b-1.0.tar.gz",
        "x-1.0-py3.whl",
        "notes.txt",
        "-lead-1.0.tar.gz",
    ],
)
def test_nginx_serves_exactly_the_distribution_names_the_index_accepts(name):
    served = re.fullmatch(f"{WHEEL_NAME}|{SDIST_NAME}", name) is not None
    assert served is (try_parse_filename(name) is not None), name


def test_health_is_answered_by_nginx_without_auth():
    block = location_block(nginx_config(spec()), f"= {HEALTH_PATH}")
    assert "auth_basic off;" in block and "return 200" in block and "proxy_pass" not in block


def test_packages_are_served_from_the_volume_not_pypiserver():
    block = location_block(nginx_config(spec()), "^~ /packages/")
    assert f"alias {PACKAGES_DIR}/$dist;" in block and "proxy_pass" not in block
    assert "add_header X-Content-Type-Options nosniff always;" in block


def test_nginx_accepts_the_rendered_config(tmp_path):
    assert_nginx_accepts(spec(), tmp_path)


def assert_nginx_accepts(s: TaskSpec, tmp_path) -> None:
    """nginx -t on the config rendered for `s`, with a layout on loopback and tmp_path."""
    require_real_part(nginx_available(), "nginx")
    layout = replace(
        FRONTED_CONTAINER_LAYOUT,
        listen="127.0.0.1:1",
        upstream="127.0.0.1:2",
        oidc_upstream="127.0.0.1:3",
        packages_dir=str(tmp_path),
        nginx_htpasswd=str(tmp_path / "htpasswd"),
        publishers_map=str(tmp_path / "publishers.map"),
        nginx_user=None,
        pid_path=str(tmp_path / "nginx.pid"),
        state_dir=str(tmp_path),
        error_log=str(tmp_path / "e.log"),
        access_log=str(tmp_path / "a.log"),
    )
    conf = tmp_path / "nginx.conf"
    # The publishers' map, written as the container's entry command writes it from the bundles.
    names = {
        bundles.variable(k): "".join(f"{bundles.PUBLISHERS_KEY} {n}\n" for n in chunk if n in s.publishers)
        for k, chunk in enumerate(bundles.chunks(s))
    }
    subprocess.run(["/bin/sh", "-c", publishers_map_command(s, layout.publishers_map)], env=names, check=True)
    assert Path(layout.publishers_map).read_text() == publishers_map(s.publishers), "as the local run writes it"
    for text in (nginx_config(s, layout), shipped_nginx_config(s, layout)):
        conf.write_text(text)
        result = subprocess.run(
            [nginx_binary(), "-t", "-q", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True
        )
        assert result.returncode == 0, f"nginx -t rejected the rendered config: {result.stderr}"


# -- credentials ---------------------------------------------------------------------


def test_credentials_document_is_deterministic():
    assert credentials_document("pypi", PASSWORD) == credentials_document("pypi", PASSWORD), (
        "a random salt would show a diff on every preview"
    )


def test_salts_differ_between_passwords():
    a = credentials_document("pypi", PASSWORD)["nginx_htpasswd"]
    b = credentials_document("pypi", PASSWORD[::-1])["nginx_htpasswd"]
    salt = lambda line: base64.b64decode(line.split("{SSHA}")[1])[20:]  # noqa: E731
    assert salt(a) != salt(b), "each password gets its own salt"


def test_nginx_hash_is_salted_sha1_of_the_password():
    line = credentials_document("pypi", PASSWORD)["nginx_htpasswd"]
    user, scheme_hash = line.split(":", 1)
    raw = base64.b64decode(scheme_hash.removeprefix("{SSHA}"))
    digest, salt = raw[:20], raw[20:]
    assert user == "pypi" and len(salt) >= 8, "username kept, salt of 8 bytes"
    assert hashlib.sha1(PASSWORD.encode() + salt).digest() == digest, "{SSHA} = SHA-1(password + salt) + salt"


def test_pypiserver_hash_verifies_through_passlib_like_pypiserver(tmp_path):
    line = credentials_document("pypi", PASSWORD)["pypiserver_htpasswd"]
    f = tmp_path / "htpasswd"
    f.write_text(line + "\n")
    ht = HtpasswdFile(str(f))
    assert ht.check_password("pypi", PASSWORD) is True, "pypiserver (passlib) must accept the password"
    assert ht.check_password("pypi", PASSWORD + "x") is False, "and refuse any other"


def test_pypiserver_hash_is_bcrypt_at_the_modules_cost():
    hashed = credentials_document("pypi", PASSWORD)["pypiserver_htpasswd"].split(":", 1)[1]
    assert hashed.startswith(f"$2b${BCRYPT_COST}$") and bcrypt.checkpw(PASSWORD.encode(), hashed.encode())


@pytest.mark.parametrize(
    "username, password", [("pypi", "short1"), ("pypi", "x" * 30 + "!"), ("py:pi", PASSWORD), ("", PASSWORD)]
)
def test_credentials_document_rejects_weak_or_malformed_credentials(username, password):
    with pytest.raises(ValueError):
        credentials_document(username, password)


def test_the_entry_command_composes_the_project_rights_from_the_bundle(tmp_path):
    s = spec(users=(TaskUser("ci", ("download", "list")), TaskUser("release", ("update",), ("team-a-*", "shared"))))
    documents = {u.name: credentials_document(u.name, PASSWORD) for u in s.users}
    value = bundles.document(bundles.chunks(s)[0], bundle_members(s), documents, {"release": ("team-a-*", "shared")})
    pypiserver = by_name(container_definitions(s))["pypiserver"]
    script = pypiserver["command"][0].replace("/data/", f"{tmp_path}/")
    script = (
        script[script.index('printf "%s\\n"') : script.index(" && cd ")] + ' && printf %s "$PYPI_INDEX_PROJECT_RIGHTS"'
    )
    result = subprocess.run(["/bin/sh", "-c", script], env={"TASK_BUNDLE_0": value}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "release team-a-*,shared", "what the index reads: a line per limited publisher"
