"""pypiserver's command line, its gunicorn config and the index modules shipped next to it."""

from __future__ import annotations

import ast
import base64
import bz2
import io
import shlex
import tarfile
import tokenize
from pathlib import Path

from pypi_index import contract
from task import bundles
from task.images import TESTED_PYPISERVER_VERSION
from task.oidc_process import index_bindings, oidc_files
from task.spec import (
    DATA_DIR,
    GUNICORN_CONF_PATH,
    HEALTH_PATH,
    INDEX_SCAN_SECONDS,
    PYPISERVER_HTPASSWD_PATH,
    PYPISERVER_USER,
    SITE_DIR,
    UPLOAD_TIMEOUT_SECONDS,
    Action,
    Layout,
    TaskSpec,
    layout_for,
)
from task.timing import GRACEFUL_STOP_SECONDS, KEEPALIVE_TIMEOUT_SECONDS


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


# The index package's folder: its modules travel into the container as they are.
INDEX_PACKAGE_DIR = Path(contract.__file__).resolve().parent
GUNICORN_CONF_MODULE = "gunicorn_conf.py"
SCANNER_LOCK_PATH = "/tmp/pypi-index-scanner.lock"


def runtime_files(spec: TaskSpec) -> dict[str, str]:
    """Files written into pypiserver's /data at start, by path relative to it: the real
    modules of pypi_index/ (and of oidc_exchange/ with trusted publishing), read from their
    files without their comments and docstrings (front on only); its gunicorn config goes
    where the image's gunicorn looks for it."""
    if not spec.front_enabled:
        return {}
    files = {"gunicorn.conf.py": without_comments((INDEX_PACKAGE_DIR / GUNICORN_CONF_MODULE).read_text())}
    for module in sorted(INDEX_PACKAGE_DIR.glob("*.py")):
        if module.name != GUNICORN_CONF_MODULE:
            files[f"{SITE_DIR}/pypi_index/{module.name}"] = without_comments(module.read_text())
    if spec.trusted_publishing is not None:  # the exchange container runs them from the same folder
        files |= {
            f"{SITE_DIR}/{path}": without_comments(content) if path.endswith(".py") else content
            for path, content in oidc_files().items()
        }
    return files


def without_comments(source: str) -> str:
    """`source` with its comments and docstrings blanked, line for line: the same code at the
    same line numbers (a traceback from the container points at the repository's lines), in
    little more than half the bytes, which is what the task definition's size limit counts."""
    lines = source.splitlines(keepends=True)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col].rstrip() + "\n"
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
            continue
        if not isinstance(first.value.value, str) or first.end_lineno is None:
            continue
        for row in range(first.lineno - 1, first.end_lineno):
            lines[row] = "\n"
        if len(node.body) == 1:  # a body of its docstring alone still needs a statement
            lines[first.lineno - 1] = " " * first.col_offset + "pass\n"
    return "".join(lines)


def runtime_environment(spec: TaskSpec) -> dict[str, str]:
    """Settings gunicorn_conf.py reads (front on only)."""
    if not spec.front_enabled:
        return {}
    env = {
        contract.ENV_WORKERS: str(spec.workers),
        contract.ENV_UPLOAD_TIMEOUT: str(UPLOAD_TIMEOUT_SECONDS),
        contract.ENV_GRACEFUL_TIMEOUT: str(GRACEFUL_STOP_SECONDS),
        contract.ENV_SCAN_SECONDS: str(INDEX_SCAN_SECONDS),
        contract.ENV_SWEEP_SECONDS: str(contract.CHANGE_SWEEP_SECONDS),
        # /tmp is the container's own and writable by the image's unprivileged user.
        contract.ENV_SCANNER_LOCK: SCANNER_LOCK_PATH,
        contract.ENV_PYPISERVER_VERSION: TESTED_PYPISERVER_VERSION,
    }
    if spec.trusted_publishing is not None:
        env[contract.ENV_TRUSTED_PUBLISHERS] = index_bindings(spec.trusted_publishing)
    return env


def limited_publishers(spec: TaskSpec) -> dict[str, tuple[str, ...]]:
    """Publishers limited to some projects, with their patterns; the others write any."""
    return {u.name: u.projects for u in spec.users if u.publishes and u.projects != ("*",)}


def project_rights(spec: TaskSpec) -> str:
    """contract.ENV_PROJECT_RIGHTS as the entry command composes it from the bundles: a line
    per limited publisher (the local run sets it from here)."""
    return "".join(bundles.rights_line(user, projects) + "\n" for user, projects in limited_publishers(spec).items())


def server_command(spec: TaskSpec) -> list[str]:
    """What runs pypiserver, before its arguments: the image's `pypi-server` alone (front
    off); behind the front, the index's entry point, which builds pypiserver's app through
    its public API with the index as the backend (pypi_index/__main__.py)."""
    if spec.front_enabled:
        return ["python", "-m", "pypi_index"]
    return ["pypi-server"]


# The environment variable carrying runtime_files as one archive, and where it is unpacked from.
FILES_VARIABLE = "TASK_FILES"
ARCHIVE_PATH = "/tmp/task-files.tar.bz2"


def shipped_archive(files: dict[str, str]) -> str:
    """The files as they travel in the environment: one tar, bzip2, base64, so that the task
    definition stays well under ECS's 64 KiB limit (one archive compresses better than each
    module alone). Deterministic: sorted names, mtime 0, no owner, so every render gives the
    same bytes and `pulumi preview` shows no diff."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path, content in sorted(files.items()):
            data = content.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(bz2.compress(buffer.getvalue(), 9)).decode()


def gunicorn_config(spec: TaskSpec) -> str:
    """gunicorn.conf.py for the image's documented override path, /data/gunicorn.conf.py
    (pypi-server passes gunicorn no argv, so this file is where its settings live)."""
    if spec.front_enabled:
        return runtime_files(spec)["gunicorn.conf.py"]
    # The Terraform module's files/gunicorn.conf.py, plus what facing the load balancer
    # directly needs: keep-alive longer than its idle timeout, and a graceful stop that lets
    # an upload in flight finish (task/timing.py).
    return (
        "# Rendered by task/pypiserver_process.py; do not edit by hand.\n"
        f'workers = {spec.workers}\nworker_class = "gevent"\npreload_app = True\nerrorlog = "-"\n'
        f"keepalive = {KEEPALIVE_TIMEOUT_SECONDS}\ngraceful_timeout = {GRACEFUL_STOP_SECONDS}\n"
    )


def pypiserver_entry_command(spec: TaskSpec) -> str:
    """Shell command for the stock image: write the gunicorn config (front off) or unpack the
    index's files (front on), and the htpasswd lines (secrets), then run the server with our
    arguments as the image's unprivileged user."""
    if spec.front_enabled:
        # busybox's base64, then the image's own Python unpacks (bzip2 packs these modules
        # about 15 % smaller than gzip; the data filter refuses links and paths out of /data).
        steps = [
            f'printf "%s" "${FILES_VARIABLE}" | base64 -d > {ARCHIVE_PATH}',
            f"python -m tarfile --filter data -e {ARCHIVE_PATH} {DATA_DIR}",
        ]
    else:
        steps = [f'printf "%s" "$GUNICORN_CONF" > {GUNICORN_CONF_PATH}']
    if pypiserver_authenticate(spec):
        steps.append(f"{bundles.lines_of(spec, bundles.PYPISERVER_KEY)} > {PYPISERVER_HTPASSWD_PATH}")
    if spec.front_enabled:
        # Who may publish, from the bundles' names (kept out of the environment: it grows with users).
        names = f"$({bundles.lines_of(spec, bundles.PUBLISHERS_KEY)} | tr '\\n' , | sed 's/,$//')"
        steps.append(f'export {contract.ENV_PUBLISHERS}="{names}"')
        if limited_publishers(spec):
            steps.append(f'export {contract.ENV_PROJECT_RIGHTS}="$({bundles.lines_of(spec, bundles.PROJECTS_KEY)})"')
    if not spec.front_enabled:
        # The image's own entrypoint: it drops to the pypiserver user and runs pypi-server.
        return " && ".join(steps) + " && exec /entrypoint.sh " + shlex.join(pypiserver_args(spec))
    # The same drop to the image's user (gosu, as its entrypoint does), the index's package on
    # the path, and the working directory where gunicorn finds its config.
    run = ["env", f"PYTHONPATH={DATA_DIR}/{SITE_DIR}", "gosu", PYPISERVER_USER, *server_command(spec)]
    return " && ".join(steps) + f" && cd {DATA_DIR} && exec " + shlex.join([*run, *pypiserver_args(spec)])
