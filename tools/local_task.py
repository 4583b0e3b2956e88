"""Run the ECS task's containers as local processes on loopback.

The commands and config come from task/,
the same functions that render the task definition; only the `Layout` differs (loopback
ports, a local package folder, files under a work directory instead of /data and
/etc/nginx):

- pypiserver: `pypi-server <rendered args>` from .venv, in a folder holding the rendered
  gunicorn.conf.py and the index package, written exactly as the container's entry command
  writes them (the container's /data), with the rendered htpasswd line;
- nginx (front on): Debian's nginx with the rendered nginx.conf, unprivileged-style
  (`-c`, `-p`, our own pid file), in the foreground.

Used by `make serve`, the tests of real clients and faults, and the benchmark.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from pypi_index import contract
from task.credentials import credentials_document
from task.nginx import htpasswd_files, htpasswd_path, nginx_config, publishers_map
from task.oidc_process import oidc_environment
from task.pypiserver_process import (
    gunicorn_config,
    project_rights,
    pypiserver_args,
    pypiserver_users,
    runtime_environment,
    runtime_files,
    server_command,
)
from task.spec import HEALTH_PATH, SITE_DIR, Layout, TaskSpec, layout_for

VENV_BIN = Path(sys.executable).parent
USERNAME = "pypi"
PASSWORD_LENGTH = 32  # like the component's RandomPassword: ~190 bits


# The local run's region: only the awslogs options mention it, and they are not used locally.
LOCAL_REGION = "us-east-1"


class LocalRunError(Exception):
    """A local run that cannot start. str() is one line for the user."""


def generate_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH))


def generate_credentials(username: str = USERNAME) -> dict[str, str]:
    return credentials_document(username, generate_password())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        # As the servers bind: connections of a previous run in TIME_WAIT do not block it.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def pin_to(cpus: frozenset[int] | None):
    """preexec_fn restricting a child (and everything it forks) to `cpus`; None: no limit."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def group_processes(pgid: int) -> Iterator[tuple[str, list[str]]]:
    """(pid, the fields of /proc/<pid>/stat after "(comm)") of each live process of a process
    group (Linux /proc): state, ppid, pgrp, ..., utime [11], stime [12]."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[2]) == pgid:
            yield entry, fields


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the live processes in a process group."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in group_processes(pgid))
    return ticks / os.sysconf("SC_CLK_TCK")


def group_peak_rss_kib(pgid: int) -> int:
    """The largest peak resident set (VmHWM) among the live processes of a process group."""
    peak = 0
    for pid, _ in group_processes(pgid):
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        peak = max([peak, *(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))])
    return peak


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def require_nginx() -> str:
    """nginx's path, or a one-line error saying how to install it."""
    found = nginx_binary()
    if found is None:
        raise LocalRunError("nginx is not installed (apt-get install -y nginx)")
    return found


@dataclass
class LocalTask:
    """One task: pypiserver, plus nginx in front when the spec says so."""

    spec: TaskSpec
    packages_dir: Path
    workdir: Path
    port: int  # what clients use (nginx when the front is on, pypiserver otherwise)
    backend_port: int | None = None  # pypiserver behind nginx; picked when None
    cpus: frozenset[int] | None = None  # pin both processes to these CPUs (a smaller machine)
    credentials: dict[str, str] = field(default_factory=generate_credentials)  # a publisher's document
    # Every user's document, by name (the spec's users; generated when missing). A document may
    # carry lines for several tokens (a rotation in progress), like the user's secret.
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    # Trusted publishing: the upload-token signing key (the stack's secret; tasks sharing a
    # volume share it too), the exchange's port, and the CA it trusts for the issuers' keys.
    token_key: str = field(default_factory=lambda: secrets.token_hex(32))
    oidc_port: int | None = None
    issuer_ca: Path | None = None
    # Settings of pypiserver's environment to override (the tests shorten the index's sweep).
    environment: dict[str, str] = field(default_factory=dict)
    _pypiserver: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _nginx: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _oidc: subprocess.Popen | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # pypiserver runs in its own folder: relative paths would point elsewhere.
        self.workdir, self.packages_dir = Path(self.workdir).resolve(), Path(self.packages_dir).resolve()
        if self.spec.users and self.credentials["user"] not in {u.name for u in self.spec.users}:
            # The given (or default) publisher is not one of the spec's users: take its first
            # publisher, the user the tests and `make serve` act as.
            publisher = next(u.name for u in self.spec.users if u.publishes)
            self.credentials = self.users.get(publisher) or generate_credentials(publisher)
        self.users = {self.credentials["user"]: self.credentials, **self.users}
        for user in self.spec.users:
            self.users.setdefault(user.name, generate_credentials(user.name))

    # -- layout -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pypiserver_url(self) -> str:
        return f"http://127.0.0.1:{self.layout.pypiserver_port}"

    @property
    def data_dir(self) -> Path:
        """The container's /data: gunicorn.conf.py and the htpasswd file."""
        return self.workdir / "pypiserver"

    @property
    def nginx_dir(self) -> Path:
        return self.workdir / "nginx"

    @property
    def layout(self) -> Layout:
        if self.backend_port is None and self.spec.front_enabled:
            self.backend_port = free_port()
        if self.oidc_port is None and self.spec.trusted_publishing is not None:
            self.oidc_port = free_port()
        pypiserver_port = self.backend_port if self.spec.front_enabled and self.backend_port else self.port
        return replace(
            layout_for(self.spec),
            pypiserver_host="127.0.0.1",
            pypiserver_port=pypiserver_port,
            packages_dir=str(self.packages_dir.resolve()),
            pypiserver_htpasswd=str(self.data_dir / ".htpasswd"),
            listen=f"127.0.0.1:{self.port}",
            upstream=f"127.0.0.1:{pypiserver_port}",
            oidc_listen=f"127.0.0.1:{self.oidc_port}",
            oidc_upstream=f"127.0.0.1:{self.oidc_port}",
            nginx_htpasswd=str(self.nginx_dir / "htpasswd"),
            publishers_map=str(self.nginx_dir / "publishers.map"),
            # Master as root (CI): workers as the same user, so they can write the cache.
            # Otherwise nginx ignores `user` and keeps ours.
            nginx_user="root" if os.geteuid() == 0 else None,
            pid_path=str(self.nginx_dir / "nginx.pid"),
            state_dir=str(self.nginx_dir / "state"),
            error_log=str(self.nginx_dir / "error.log"),
            access_log=str(self.nginx_dir / "access.log"),
            audit_log=str(self.nginx_dir / "audit.log"),
        )

    def nginx_config(self) -> str:
        return nginx_config(self.spec, self.layout)

    def pypiserver_command(self) -> list[str]:
        """As the container runs it: `pypi-server` (front off) or `python -m pypi_index`
        (front on, the index's modules as written under data_dir/site), from .venv."""
        program, *rest = server_command(self.spec)
        executable = sys.executable if program == "python" else str(VENV_BIN / program)
        return [executable, *rest, *pypiserver_args(self.spec, self.layout)]

    # -- lifecycle --------------------------------------------------------------------

    def write_files(self) -> None:
        self.packages_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "gunicorn.conf.py").write_text(gunicorn_config(self.spec))
        # The index package, exactly as the container's entry command writes it.
        for path, content in runtime_files(self.spec).items():
            target = self.data_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        if self.spec.front_enabled:
            (self.nginx_dir / "state").mkdir(parents=True, exist_ok=True)
            (self.nginx_dir / "nginx.conf").write_text(self.nginx_config())
        self.write_htpasswd_files()

    def htpasswd_files(self) -> dict[Path, str]:
        """The files the entry commands compose from the users' secrets, with their content."""

        def lines(key: str, names) -> str:
            return "".join(self.users[n][key] + "\n" for n in names)

        files = {self.data_dir / ".htpasswd": lines("pypiserver_htpasswd", pypiserver_users(self.spec))}
        if self.spec.front_enabled:
            for action, names in htpasswd_files(self.spec).items():
                files[Path(htpasswd_path(self.layout, action))] = lines("nginx_htpasswd", names)
            files[Path(self.layout.publishers_map)] = publishers_map(self.spec.publishers)
        return files

    def write_htpasswd_files(self) -> None:
        # Atomically (a new file renamed over the old): nginx and pypiserver read these files
        # while requests run, and must never see one half-written.
        for path, content in self.htpasswd_files().items():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".new")
            tmp.write_text(content)
            os.replace(tmp, path)

    def set_user(self, document: dict[str, str]) -> None:
        """Replace one user's document while the task runs, as a new task definition revision
        would (its tokens: the document's lines). nginx reads its htpasswd file on every
        request and pypiserver reloads its own when it changes, so no restart is needed."""
        if document["user"] not in self.users:
            raise LocalRunError(f"user {document['user']!r} is not one of this task's users")
        self.users[document["user"]] = document
        if document["user"] == self.credentials["user"]:
            self.credentials = document
        self.write_htpasswd_files()

    def start(self, timeout: float = 30) -> LocalTask:
        ports = [self.port] + ([self.layout.pypiserver_port] if self.spec.front_enabled else [])
        busy = [p for p in ports if not port_is_free(p)]
        if busy:
            raise LocalRunError(f"port {busy[0]} on 127.0.0.1 is in use; choose another with --port")
        if self.spec.front_enabled and nginx_binary() is None:
            raise LocalRunError("nginx is not installed (apt-get install -y nginx)")
        self.write_files()
        try:
            self.start_pypiserver(timeout)
            if self.spec.trusted_publishing is not None:
                self.start_oidc(timeout)
            if self.spec.front_enabled:
                self.start_nginx(timeout)
        except BaseException:
            self.stop()  # never leave a half-started task behind
            raise
        return self

    def start_pypiserver(self, timeout: float = 30) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN")}
        env.update(runtime_environment(self.spec))
        if self.spec.front_enabled:  # what the entry command composes from the bundles
            env[contract.ENV_PUBLISHERS] = ",".join(self.spec.publishers)
            if project_rights(self.spec):
                env[contract.ENV_PROJECT_RIGHTS] = project_rights(self.spec)
        env.update(self.environment)
        if contract.ENV_SCANNER_LOCK in env:  # this task's own, like the container's /tmp
            env[contract.ENV_SCANNER_LOCK] = str(self.data_dir / "scanner.lock")
        if self.spec.front_enabled:  # the index's modules as the container has them
            env["PYTHONPATH"] = str(self.data_dir / SITE_DIR)
        if self.spec.trusted_publishing is not None:  # the secret ECS injects
            env[contract.ENV_UPLOAD_TOKEN_KEY] = self.token_key
        # cwd = the container's /data, where gunicorn finds gunicorn.conf.py.
        self._pypiserver = self._spawn(self.pypiserver_command(), env, self.data_dir, "pypiserver.log")
        self._wait_healthy(self.pypiserver_url + HEALTH_PATH, self._pypiserver, "pypiserver", timeout)

    def _spawn(self, cmd: list[str], env: dict[str, str], cwd: Path, log_name: str) -> subprocess.Popen:
        """A process in its own session (a master and its workers are signalled together),
        its output appended to a log file under workdir, pinned to the task's CPUs."""
        with open(self.workdir / log_name, "ab") as log:
            return subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=pin_to(self.cpus),
            )

    def start_oidc(self, timeout: float = 30) -> None:
        """The exchange, as its container runs it (`python -m oidc_exchange` from the site folder
        the index's files were unpacked into; its JWT library from .venv, the same pins as its
        requirements)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN")}
        env.update(oidc_environment(self.spec, self.layout, str(self.packages_dir)))
        env.update({contract.ENV_UPLOAD_TOKEN_KEY: self.token_key, "PYTHONPATH": str(self.data_dir / SITE_DIR)})
        if self.issuer_ca is not None:  # a local issuer's keys are served under the local CA
            env["SSL_CERT_FILE"] = str(self.issuer_ca)
        self._oidc = self._spawn([sys.executable, "-m", "oidc_exchange"], env, self.workdir, "oidc.log")
        self._wait_healthy(f"http://{self.layout.oidc_listen}{HEALTH_PATH}", self._oidc, "oidc_exchange", timeout)

    def start_nginx(self, timeout: float = 30) -> None:
        conf = self.nginx_dir / "nginx.conf"
        log = open(self.nginx_dir / "nginx.out", "ab")
        # -e: the error log before the config is read (Debian's default path needs root).
        cmd = [require_nginx(), "-c", str(conf), "-p", str(self.nginx_dir), "-e", str(self.nginx_dir / "error.log")]
        self._nginx = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=pin_to(self.cpus)
        )
        log.close()
        self._wait_healthy(self.url + HEALTH_PATH, self._nginx, "nginx", timeout)

    def _wait_healthy(self, url: str, proc: subprocess.Popen, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LocalRunError(f"{name} exited with code {proc.returncode} at start; see {self.workdir}")
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise LocalRunError(f"{name} did not answer {url} within {timeout:.0f} s; see {self.workdir}")

    @staticmethod
    def _stop(proc: subprocess.Popen | None, sig: int, grace: float) -> None:
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass

    def kill_pypiserver(self) -> None:
        """SIGKILL pypiserver's master and workers (a crash, not a shutdown)."""
        self._stop(self._pypiserver, signal.SIGKILL, 5)

    def stop(self, grace: float = 10) -> None:
        """Stop as ECS does: nginx first (SIGQUIT, the image's graceful stop: requests in flight
        finish), then pypiserver (SIGTERM, gunicorn's graceful stop); SIGKILL after `grace`
        seconds each (the agent's stop timeout)."""
        self._stop(self._nginx, signal.SIGQUIT, grace)
        self._stop(self._pypiserver, signal.SIGTERM, grace)
        self._stop(self._oidc, signal.SIGTERM, grace)
        # Orphans of a killed master (the group was ours alone).
        for proc in (self._nginx, self._pypiserver, self._oidc):
            if proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def access_log(self) -> list[str]:
        """nginx's access log so far (SIGUSR1 makes nginx flush its buffer and reopen it)."""
        if self._nginx is None:
            return []
        path = self.nginx_dir / "access.log"
        before = path.stat().st_mtime_ns if path.exists() else 0
        os.kill(self._nginx.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and (not path.exists() or path.stat().st_mtime_ns == before):
            time.sleep(0.05)
        time.sleep(0.1)  # every worker has flushed
        return path.read_text().splitlines() if path.exists() else []

    def audit_lines(self) -> list[dict]:
        """The audit trail so far: nginx's failed-login lines and the index's lines (in the
        container both go to the log group; here, to their files)."""
        found = []
        for path in (self.nginx_dir / "audit.log", self.workdir / "pypiserver.log", self.workdir / "oidc.log"):
            if path.exists():
                for text in path.read_text(errors="replace").splitlines():
                    if text.startswith('{"audit"'):
                        found.append(json.loads(text))
        return found

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each process group (master + workers), from /proc."""
        groups = {"nginx": self._nginx, "pypiserver": self._pypiserver, "oidc": self._oidc}
        return {name: group_cpu_seconds(proc.pid) for name, proc in groups.items() if proc is not None}

    @property
    def pypiserver_alive(self) -> bool:
        return self._pypiserver is not None and self._pypiserver.poll() is None

    def __enter__(self) -> LocalTask:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def describe(self) -> dict:
        return {
            "url": self.url,
            "username": self.credentials["username"],
            "password": self.credentials["password"],
            "packages": str(self.packages_dir),
            "workdir": str(self.workdir),
            "front": self.spec.front_enabled,
            "pypiserverUrl": self.pypiserver_url,
        }


def save_credentials(path: Path, credentials: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, indent=2, sort_keys=True) + "\n")
    path.chmod(0o600)


def load_or_create_credentials(path: Path) -> dict[str, str]:
    """Keep a local run's credentials across restarts (clients keep working)."""
    if path.is_file():
        saved = json.loads(path.read_text())
        return credentials_document(saved["username"], saved["password"])
    creds = generate_credentials()
    save_credentials(path, creds)
    return creds
