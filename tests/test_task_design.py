"""Rendering of the task (components/task_design.py): both designs, config, credentials."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import subprocess
import time
from dataclasses import replace
from types import SimpleNamespace

import bcrypt
import pytest
from conftest import nginx_available, require_real_part
from passlib.apache import HtpasswdFile
from pypiserver.config import Config as PypiserverConfig

from components import task_design as td
from tools.local_task import nginx_binary

PASSWORD = "Zq3xT9mR2vL8kP4wN6yB1cH5"  # 24 alphanumerics, like the component's RandomPassword


def spec(**changes) -> td.TaskSpec:
    base = td.TaskSpec(
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
        credentials_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:pypiserver-AbCdEf",
    )
    return replace(base, **changes)


def parsed(s: td.TaskSpec, tmp_path) -> PypiserverConfig:
    """pypiserver's own parser applied to the rendered args (package folder made local)."""
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(td.credentials_document("pypi", PASSWORD)["pypiserver_htpasswd"] + "\n")
    layout = replace(td.layout_for(s), packages_dir=str(tmp_path), pypiserver_htpasswd=str(htpasswd))
    return PypiserverConfig.from_args(td.pypiserver_args(s, layout))


def gunicorn_settings(s: td.TaskSpec):
    """gunicorn's own loader applied to the rendered gunicorn.conf.py."""
    from gunicorn.config import Config as GunicornConfig
    namespace: dict = {}
    exec(td.gunicorn_config(s), namespace)
    cfg = GunicornConfig()
    for key, value in namespace.items():
        if key in cfg.settings:
            cfg.set(key, value)
    return cfg


def by_name(containers: list[dict]) -> dict[str, dict]:
    return {c["name"]: c for c in containers}


def location_block(conf: str, header: str) -> str:
    """The text of one `location ... {` block (nested blocks included) of the public server."""
    conf = conf[conf.index("backlog=4096"):]
    start = conf.index(f"location {header} {{")
    depth, i = 0, conf.index("{", start)
    while True:
        depth += {"{": 1, "}": -1}.get(conf[i], 0)
        if depth == 0:
            return conf[start:i + 1]
        i += 1


# -- the two designs -----------------------------------------------------------------

def test_front_off_is_pypiserver_alone_with_the_host_port():
    containers = td.container_definitions(spec(front_enabled=False))
    assert [c["name"] for c in containers] == ["pypiserver"], "front off renders only pypiserver"
    assert containers[0]["portMappings"] == [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}], \
        "pypiserver gets the dynamic host port when alone"


def test_front_on_gives_only_nginx_a_host_port():
    containers = by_name(td.container_definitions(spec()))
    assert set(containers) == {"pypiserver", "nginx"}, "front on renders nginx + pypiserver"
    assert "portMappings" not in containers["pypiserver"], "pypiserver must not be reachable from outside the task"
    assert containers["nginx"]["portMappings"] == [{"containerPort": 8080, "hostPort": 0, "protocol": "tcp"}], \
        "nginx gets the dynamic host port"


def test_load_balanced_container_follows_the_design():
    assert td.load_balanced_container(spec()) == ("nginx", 8080), "ALB targets nginx when the front is on"
    assert td.load_balanced_container(spec(front_enabled=False)) == ("pypiserver", 8080), \
        "ALB targets pypiserver when alone"


def test_front_off_runs_pypiserver_as_the_terraform_module_does(tmp_path):
    parsed_config = parsed(spec(front_enabled=False), tmp_path)
    assert parsed_config.backend_arg == "simple-dir", "the module's backend"
    assert set(parsed_config.authenticate) == {"download", "list", "update"}, "bcrypt check on every protected action"
    assert parsed_config.server_method == "gunicorn"
    assert parsed_config.health_endpoint == td.HEALTH_PATH, "health endpoint instead of /"


def test_front_off_gunicorn_config_is_the_modules():
    settings = gunicorn_settings(spec(front_enabled=False, workers=4))
    assert (settings.workers, settings.worker_class_str, settings.preload_app) == (4, "gevent", True), \
        "the module's gunicorn.conf.py: 4 gevent workers, preloaded"


def test_front_on_gunicorn_config_uses_sync_workers_from_sizing():
    settings = gunicorn_settings(spec(workers=6))
    assert (settings.workers, settings.worker_class_str) == (6, "sync"), "workers from sizing, sync class"


def test_front_on_pypiserver_lists_from_its_cache():
    assert td.pypiserver_backend(spec()) == "cached-dir" and td.pypiserver_backend(spec(front_enabled=False)) == "simple-dir"


def aged(path, seconds: float = 3600):
    """A file last modified `seconds` ago (an upload finished long since)."""
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def fronted_backend(tmp_path):
    """A real cached-dir pypiserver backend with the rendered worker hook installed (timer
    shortened), as in a forked gunicorn worker (no inotify)."""
    import pypiserver

    (tmp_path / "demo-1.0.tar.gz").write_bytes(b"one")
    aged(tmp_path / "demo-1.0.tar.gz")
    app = pypiserver.app_from_config(parsed(spec(authenticate=("download", "list")), tmp_path))  # rendered args
    backend = app._pypiserver_config.backend
    backend.backend.cache_manager.observer.stop()
    namespace: dict = {}
    exec(td.gunicorn_config(spec()), namespace)
    namespace["LISTING_REFRESH_SECONDS"] = 0.05  # the hook reads the module globals
    namespace["post_worker_init"](SimpleNamespace(wsgi=app))  # what gunicorn passes: the worker, .wsgi = app
    return backend


def versions_within(backend, seconds: float, want: int) -> list[str]:
    deadline = time.monotonic() + seconds
    while len(list(backend.find_project_packages("demo"))) < want and time.monotonic() < deadline:
        time.sleep(0.02)
    return sorted(p.version for p in backend.find_project_packages("demo"))


def test_listing_refresh_timer_makes_new_files_visible(fronted_backend, tmp_path):
    assert versions_within(fronted_backend, 0, 1) == ["1.0"]
    (tmp_path / "demo-2.0.tar.gz").write_bytes(b"two")
    aged(tmp_path / "demo-2.0.tar.gz")
    assert versions_within(fronted_backend, 5, 2) == ["1.0", "2.0"], \
        "the timer must drop the cached listing so a new file shows up"


def test_files_still_being_written_stay_out_of_listings(fronted_backend, tmp_path):
    (tmp_path / "demo-3.0.tar.gz").write_bytes(b"partial")  # mtime now: an upload in progress
    assert versions_within(fronted_backend, 0.5, 2) == ["1.0"], \
        f"a file modified within {td.UPLOAD_SETTLE_SECONDS} s must not be listed (its hash would be partial)"
    aged(tmp_path / "demo-3.0.tar.gz", td.UPLOAD_SETTLE_SECONDS + 1)
    assert versions_within(fronted_backend, 5, 2) == ["1.0", "3.0"], "listed once it has settled"


def test_front_on_pypiserver_checks_only_uploads_itself(tmp_path):
    parsed_config = parsed(spec(), tmp_path)
    assert list(parsed_config.authenticate) == ["update"], "behind nginx, pypiserver keeps its own check on uploads only"
    assert parsed_config.port == td.PYPISERVER_BEHIND_FRONT_PORT


def test_pypiserver_without_any_protected_action_gets_no_password_file():
    args = td.pypiserver_args(spec(front_enabled=True, authenticate=("download", "list")))
    assert args[args.index("-a") + 1] == "." and args[args.index("-P") + 1] == ".", \
        "pypiserver must be told explicitly that it authenticates nothing"
    assert "PYPISERVER_HTPASSWD" not in td.pypiserver_entry_command(spec(authenticate=("list",)))


def test_fallback_to_pypi_is_disabled_unless_configured():
    assert "--disable-fallback" in td.pypiserver_args(spec()), "fallback off by default (dependency confusion)"
    assert "--disable-fallback" not in td.pypiserver_args(spec(fallback_to_pypi=True))


def test_listings_carry_sha256_so_pip_verifies_downloads(tmp_path):
    assert parsed(spec(), tmp_path).hash_algo == "sha256"


@pytest.mark.parametrize("front", [True, False])
def test_no_health_check_touches_the_root_page(front):
    for c in td.container_definitions(spec(front_enabled=front)):
        probe = " ".join(c["healthCheck"]["command"])
        urls = re.findall(r"http://[^' ]+", probe)
        assert urls and all(u.endswith(td.HEALTH_PATH) for u in urls), f"{c['name']} probes {urls}, expected /health"


def test_pypiserver_health_probe_uses_the_port_it_listens_on():
    for front in (True, False):
        s = spec(front_enabled=front)
        port = td.pypiserver_args(s)[td.pypiserver_args(s).index("-p") + 1]
        probe = by_name(td.container_definitions(s))["pypiserver"]["healthCheck"]["command"][-1]
        assert f":{port}{td.HEALTH_PATH}" in probe, f"front={front}: probe must hit port {port}"


def test_images_come_from_the_spec():
    digest = "nginx@sha256:" + "0" * 64
    containers = by_name(td.container_definitions(spec(pypiserver_image="pypiserver/pypiserver:v2.4.1",
                                                       nginx_image=digest)))
    assert containers["pypiserver"]["image"] == "pypiserver/pypiserver:v2.4.1", "pypiserver image comes from config"
    assert containers["nginx"]["image"] == digest, "nginx image comes from config (pinnable by digest)"


def test_container_sizes_come_from_the_spec_and_front_constants():
    containers = by_name(td.container_definitions(spec()))
    p, n = containers["pypiserver"], containers["nginx"]
    assert (p["cpu"], p["memory"], p["memoryReservation"]) == (512, 384, 320), "pypiserver sized from the spec"
    assert (n["cpu"], n["memory"], n["memoryReservation"]) == (
        td.FRONT_CPU_UNITS, td.FRONT_MEMORY_MIB, td.FRONT_MEMORY_RESERVATION_MIB), "nginx sized by the exported constants"


def test_nginx_container_receives_the_rendered_config_through_its_environment():
    s = spec()
    nginx = by_name(td.container_definitions(s))["nginx"]
    env = {e["name"]: e["value"] for e in nginx["environment"]}
    assert env["NGINX_CONF"] == td.nginx_config(s), "the image gets exactly the rendered config"
    script = nginx["command"][0]
    assert f'> {td.NGINX_CONF_PATH}' in script and script.endswith("exec nginx"), "config written, then nginx exec'd"


def test_pypiserver_entry_runs_the_image_entrypoint_with_the_rendered_args():
    s = spec()
    script = td.pypiserver_entry_command(s)
    tail = script.split("exec ", 1)[1]
    assert shlex.split(tail) == ["/entrypoint.sh", *td.pypiserver_args(s)], "entrypoint gets exactly the rendered args"


def test_pypiserver_container_receives_the_rendered_gunicorn_config():
    s = spec()
    container = by_name(td.container_definitions(s))["pypiserver"]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["GUNICORN_CONF"] == td.gunicorn_config(s), "the image gets exactly the rendered gunicorn config"
    assert f'"$GUNICORN_CONF" > {td.GUNICORN_CONF_PATH}' in container["command"][0], \
        "written where the image's gunicorn looks (/data/gunicorn.conf.py)"


def test_secrets_reference_keys_of_the_credentials_document():
    doc = td.credentials_document("pypi", PASSWORD)
    for c in td.container_definitions(spec()):
        for secret in c.get("secrets", []):
            arn, key, stage, version = secret["valueFrom"].rsplit(":", 3)
            assert arn == spec().credentials_secret_arn and key in doc, f"{secret} must name a document key"


def test_rendering_is_deterministic():
    assert td.container_definitions_json(spec()) == td.container_definitions_json(spec()), "two renders must match"
    assert json.loads(td.container_definitions_json(spec())) == td.container_definitions(spec())


# -- nginx config --------------------------------------------------------------------

def test_staleness_bound_is_at_most_15_seconds_and_adds_up():
    assert td.STALENESS_BOUND_SECONDS <= 15, "issue 5: a new upload must be visible within 15 s"
    assert td.STALENESS_BOUND_SECONDS == (td.UPLOAD_SETTLE_SECONDS + td.LISTING_REFRESH_SECONDS
                                          + td.PAGE_READ_TIMEOUT_SECONDS + td.PAGE_CACHE_SECONDS
                                          + td.PAGE_REVALIDATE_SECONDS + td.NGINX_CLOCK_SECONDS)


def test_rendered_config_uses_the_bounds_terms():
    conf, gunicorn = td.nginx_config(spec()), td.gunicorn_config(spec())
    assert f"LISTING_REFRESH_SECONDS = {td.LISTING_REFRESH_SECONDS}" in gunicorn
    assert f"UPLOAD_SETTLE_SECONDS = {td.UPLOAD_SETTLE_SECONDS}" in gunicorn
    assert ('add_header Cache-Control "max-age=$page_fresh_seconds, '
            f'stale-while-revalidate={td.PAGE_REVALIDATE_SECONDS}";') in conf, "the hop states fresh + stale lifetimes"
    public = conf[conf.index("backlog=4096"):]
    assert f"proxy_read_timeout {td.PAGE_READ_TIMEOUT_SECONDS}s;" in public, "renders slower than this are not stored"


def test_fresh_lifetimes_are_spread_and_never_exceed_the_bounds_term():
    block = re.search(r"map \$msec \$page_fresh_seconds \{([^}]*)\}", td.nginx_config(spec())).group(1)
    by_digit = dict(re.findall(r"~(\d)\$ (\d+);", block))
    lifetimes = {int(v) for v in by_digit.values()}
    assert sorted(by_digit) == [str(d) for d in range(10)], "every last millisecond digit maps to a lifetime"
    assert max(lifetimes) == td.PAGE_CACHE_SECONDS, "the bound counts the longest lifetime"
    assert min(lifetimes) == td.PAGE_CACHE_MIN_SECONDS < td.PAGE_CACHE_SECONDS, "lifetimes are spread"


def test_page_requests_go_through_the_policy_hop():
    conf = td.nginx_config(spec())
    for header in ("/", "= /packages/", "= /"):
        assert "proxy_pass http://page_renders;" in location_block(conf, header), f"{header} must use the hop"
    assert "proxy_pass http://pypiserver;" in location_block(conf, "@update"), "uploads go straight to pypiserver"


def test_stale_pages_are_served_only_within_the_revalidate_window():
    conf = td.nginx_config(spec())
    use_stale = re.search(r"proxy_cache_use_stale ([^;]*);", conf).group(1).split()
    assert "updating" not in use_stale, "unbounded stale-while-updating would break the staleness bound"
    assert "proxy_ignore_headers Cache-Control" not in conf and "proxy_ignore_headers Expires;" in conf, \
        "the hop's Cache-Control (max-age, stale-while-revalidate) must be honoured"


def test_errors_are_not_cached_and_404s_only_briefly():
    conf = td.nginx_config(spec())
    valid = re.findall(r"proxy_cache_valid ([^;]*);", conf)
    codes = {code for v in valid for code in v.split()[:-1]}
    assert not codes & {"any", "500", "502", "503", "504"}, f"errors must not be cached: {valid}"
    assert f"404 {td.NOT_FOUND_CACHE_SECONDS}s" in valid and td.NOT_FOUND_CACHE_SECONDS <= 2


@pytest.mark.parametrize("action, location", [("download", "/packages/"), ("list", "/"), ("list", "= /packages/"),
                                              ("update", "@update")])
def test_each_protected_action_is_checked_by_nginx(action, location):
    block = location_block(td.nginx_config(spec()), location)
    assert 'auth_basic "pypiserver";' in block, f"{location} must require auth when {action} is protected"


@pytest.mark.parametrize("action, location", [("download", "/packages/"), ("list", "/")])
def test_unprotected_actions_are_open_at_nginx(action, location):
    others = tuple(a for a in ("download", "list", "update") if a != action)
    block = location_block(td.nginx_config(spec(authenticate=others)), location)
    assert "auth_basic off;" in block, f"{location} must be open when {action} is not protected"


def test_health_is_answered_by_nginx_without_auth():
    block = location_block(td.nginx_config(spec()), f"= {td.HEALTH_PATH}")
    assert "auth_basic off;" in block and "return 200" in block and "proxy_pass" not in block


def test_packages_are_served_from_the_volume_not_pypiserver():
    block = location_block(td.nginx_config(spec()), "/packages/")
    assert f"alias {td.PACKAGES_DIR}/;" in block and "proxy_pass" not in block


def test_uploads_bypass_the_cache():
    block = location_block(td.nginx_config(spec()), "@update")
    assert "proxy_cache off;" in block, "POSTs must never be cached"


def test_nginx_accepts_the_rendered_config(tmp_path):
    require_real_part(nginx_available(), "nginx")
    layout = replace(td.FRONTED_CONTAINER_LAYOUT, listen="127.0.0.1:1", upstream="127.0.0.1:2",
                     packages_dir=str(tmp_path), nginx_htpasswd=str(tmp_path / "htpasswd"), nginx_user=None,
                     pid_path=str(tmp_path / "nginx.pid"), state_dir=str(tmp_path), error_log=str(tmp_path / "e.log"),
                     access_log=str(tmp_path / "a.log"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(td.nginx_config(spec(), layout))
    result = subprocess.run([nginx_binary(), "-t", "-q", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, f"nginx -t rejected the rendered config: {result.stderr}"


# -- credentials ---------------------------------------------------------------------

def test_credentials_document_is_deterministic():
    assert td.credentials_document("pypi", PASSWORD) == td.credentials_document("pypi", PASSWORD), \
        "a random salt would show a diff on every preview"


def test_salts_differ_between_passwords():
    a = td.credentials_document("pypi", PASSWORD)["nginx_htpasswd"]
    b = td.credentials_document("pypi", PASSWORD[::-1])["nginx_htpasswd"]
    salt = lambda line: base64.b64decode(line.split("{SSHA}")[1])[20:]  # noqa: E731
    assert salt(a) != salt(b), "each password gets its own salt"


def test_nginx_hash_is_salted_sha1_of_the_password():
    line = td.credentials_document("pypi", PASSWORD)["nginx_htpasswd"]
    user, scheme_hash = line.split(":", 1)
    raw = base64.b64decode(scheme_hash.removeprefix("{SSHA}"))
    digest, salt = raw[:20], raw[20:]
    assert user == "pypi" and len(salt) >= 8, "username kept, salt of 8 bytes"
    assert hashlib.sha1(PASSWORD.encode() + salt).digest() == digest, "{SSHA} = SHA-1(password + salt) + salt"


def test_pypiserver_hash_verifies_through_passlib_like_pypiserver(tmp_path):
    line = td.credentials_document("pypi", PASSWORD)["pypiserver_htpasswd"]
    f = tmp_path / "htpasswd"
    f.write_text(line + "\n")
    ht = HtpasswdFile(str(f))
    assert ht.check_password("pypi", PASSWORD) is True, "pypiserver (passlib) must accept the password"
    assert ht.check_password("pypi", PASSWORD + "x") is False, "and refuse any other"


def test_pypiserver_hash_is_bcrypt_at_the_modules_cost():
    hashed = td.credentials_document("pypi", PASSWORD)["pypiserver_htpasswd"].split(":", 1)[1]
    assert hashed.startswith(f"$2b${td.BCRYPT_COST}$") and bcrypt.checkpw(PASSWORD.encode(), hashed.encode())


@pytest.mark.parametrize("username, password", [("pypi", "short1"), ("pypi", "x" * 30 + "!"), ("py:pi", PASSWORD),
                                                ("", PASSWORD)])
def test_credentials_document_rejects_weak_or_malformed_credentials(username, password):
    with pytest.raises(ValueError):
        td.credentials_document(username, password)


def test_project_lookup_follows_removals_and_name_normalization(fronted_backend, tmp_path):
    (tmp_path / "Demo_Tool-1.0.tar.gz").write_bytes(b"x")
    aged(tmp_path / "Demo_Tool-1.0.tar.gz")
    deadline = time.monotonic() + 5
    while not list(fronted_backend.find_project_packages("demo-tool")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [p.version for p in fronted_backend.find_project_packages("demo-tool")] == ["1.0"], \
        "PEP 503 names: Demo_Tool is found as demo-tool"
    (tmp_path / "demo-1.0.tar.gz").unlink()
    deadline = time.monotonic() + 5
    while list(fronted_backend.find_project_packages("demo")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(fronted_backend.find_project_packages("demo")) == [], "a removed file leaves the listing"
