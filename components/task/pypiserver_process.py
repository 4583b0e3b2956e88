"""pypiserver's command line, its gunicorn config and the index modules shipped next to it."""

from __future__ import annotations

import base64
import gzip
import shlex
from pathlib import Path

from components.task.design import (
    DATA_DIR,
    GUNICORN_CONF_PATH,
    HEALTH_PATH,
    INDEX_SCAN_SECONDS,
    PYPISERVER_HTPASSWD_PATH,
    UPLOAD_TIMEOUT_SECONDS,
    Action,
    Layout,
    TaskSpec,
    layout_for,
)


def pypiserver_authenticate(spec: TaskSpec) -> tuple[Action, ...]:
    """Actions pypiserver itself checks: all configured ones when alone; behind nginx, only
    uploads (nginx checked everything already, and pypiserver answers nothing but POST /)."""
    if spec.front_enabled:
        return tuple(a for a in spec.authenticate if a == "update")
    return tuple(a for a in ("download", "list", "update") if a in spec.authenticate)


def pypiserver_users(spec: TaskSpec) -> tuple[str, ...]:
    """Users in pypiserver's htpasswd file. Behind the front: every user (a known user who may
    not publish then gets 403 from the index, not 401). Alone, pypiserver cannot tell actions
    apart per user: only the users allowed every authenticated action get in."""
    if spec.front_enabled:
        return tuple(u.name for u in spec.users)
    return tuple(u.name for u in spec.users if set(spec.authenticate) <= set(u.actions))


def pypiserver_args(spec: TaskSpec, layout: Layout | None = None) -> list[str]:
    """Arguments to `pypi-server` (the stock image's entrypoint runs `pypi-server "$@"`)."""
    layout = layout or layout_for(spec)
    actions = pypiserver_authenticate(spec)
    args = [
        "run",
        "-i",
        layout.pypiserver_host,
        "-p",
        str(layout.pypiserver_port),
        "--server",
        "gunicorn",
        "--backend",
        pypiserver_backend(spec),
        # sha256 in every link of the guide's design (poetry requires it); behind the front
        # the index writes its own pages, with the sha256 computed at upload.
        "--hash-algo",
        "sha256",
        "--health-endpoint",
        HEALTH_PATH,
    ]
    if actions:
        args += ["-a", ",".join(actions), "-P", layout.pypiserver_htpasswd]
    else:
        args += ["-a", ".", "-P", "."]
    if not spec.fallback_to_pypi:
        # Unknown names 404 instead of redirecting to pypi.org (dependency confusion).
        args.append("--disable-fallback")
    args.append(layout.packages_dir)
    return args


def pypiserver_backend(spec: TaskSpec) -> str:
    # Alone (the guide's design): simple-dir, as the module runs it, so listings never go
    # stale, at the price of a full directory walk on every request. Behind nginx too, but
    # there pypiserver serves no reads, and simple-dir walks nothing unless asked (the
    # index package replaces its storage for writes).
    return "simple-dir"


TASK_MODULES_DIR = Path(__file__).resolve().parent
SCANNER_LOCK_PATH = "/tmp/pypi-index-scanner.lock"


def runtime_files(spec: TaskSpec) -> dict[str, str]:
    """Files written into pypiserver's /data at start, by path relative to it: the real
    modules of components/task/, read from their files (front on only)."""
    if not spec.front_enabled:
        return {}
    files = {"gunicorn.conf.py": (TASK_MODULES_DIR / "gunicorn_conf.py").read_text()}
    for module in sorted((TASK_MODULES_DIR / "pypi_index").glob("*.py")):
        files[f"site/pypi_index/{module.name}"] = module.read_text()
    return files


def runtime_environment(spec: TaskSpec) -> dict[str, str]:
    """Settings gunicorn_conf.py reads (front on only)."""
    if not spec.front_enabled:
        return {}
    return {
        "PYPI_INDEX_WORKERS": str(spec.workers),
        "PYPI_INDEX_UPLOAD_TIMEOUT": str(UPLOAD_TIMEOUT_SECONDS),
        "PYPI_INDEX_SCAN_SECONDS": str(INDEX_SCAN_SECONDS),
        # One scanner per task: the worker holding this task-local lock file (/tmp is the
        # container's own and writable by the image's unprivileged user).
        "PYPI_INDEX_SCANNER_LOCK": SCANNER_LOCK_PATH,
        # Who may upload, remove and yank (others with valid credentials get 403).
        "PYPI_INDEX_PUBLISHERS": ",".join(spec.publishers),
    }


def file_variable(path: str) -> str:
    return "TASK_FILE_" + "".join(c if c.isalnum() else "_" for c in path).upper()


def shipped_value(content: str) -> str:
    """A module as it travels in the environment: gzip + base64, so that the task definition
    stays well under ECS's 64 KiB limit (mtime 0: the same bytes on every render)."""
    return base64.b64encode(gzip.compress(content.encode(), mtime=0)).decode()


def gunicorn_config(spec: TaskSpec) -> str:
    """gunicorn.conf.py for the image's documented override path, /data/gunicorn.conf.py
    (pypi-server passes gunicorn no argv, so this file is where its settings live)."""
    if spec.front_enabled:
        return runtime_files(spec)["gunicorn.conf.py"]
    # The Terraform module's files/gunicorn.conf.py.
    return (
        "# Rendered by components/task_design.py; do not edit by hand.\n"
        f'workers = {spec.workers}\nworker_class = "gevent"\npreload_app = True\nerrorlog = "-"\n'
    )


def pypiserver_entry_command(spec: TaskSpec) -> str:
    """Shell command for the stock image: write the gunicorn config and the index modules
    (environment) and the htpasswd line (secret), then run the image's own entrypoint (which
    drops to the pypiserver user) with our arguments."""
    steps = [f'printf "%s" "$GUNICORN_CONF" > {GUNICORN_CONF_PATH}']
    files = {p: c for p, c in runtime_files(spec).items() if p != "gunicorn.conf.py"}
    for directory in sorted({str(Path(DATA_DIR, p).parent) for p in files}):
        steps.append(f"mkdir -p {directory}")
    for path in files:
        # base64 and gunzip: busybox's in the stock (Alpine) image.
        steps.append(f'printf "%s" "${file_variable(path)}" | base64 -d | gunzip > {DATA_DIR}/{path}')
    if pypiserver_authenticate(spec):
        users = pypiserver_users(spec)
        values = " ".join(f'"${spec.user_variable("PYPISERVER_HTPASSWD", u)}"' for u in users)
        steps.append(
            f'printf "%s\\n" {values} > {PYPISERVER_HTPASSWD_PATH}' if users else f": > {PYPISERVER_HTPASSWD_PATH}"
        )
    return " && ".join(steps) + " && exec /entrypoint.sh " + shlex.join(pypiserver_args(spec))
