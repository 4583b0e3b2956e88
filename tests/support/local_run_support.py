"""Helpers for the tests that run the task locally (real nginx, pypiserver, twine, pip)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

from pypi_index import contract
from task.spec import TaskSpec
from tests.support.real_parts import nginx_available, require_real_part
from tools import repo_gen
from tools.bench import load_stack
from tools.local_task import LOCAL_REGION, LocalTask, free_port

PROJECTS = 6
VERSIONS = 2


def heavy_spec(front: bool = True, **overrides: str) -> TaskSpec:
    """The heavy stack's task, exactly as the component renders it."""
    from commands.engine import stack_config
    from components.config import load_config

    if overrides:
        cfg = load_config(stack_config("heavy", {"frontEnabled": str(front).lower(), **overrides}))
        return cfg.task_spec(LOCAL_REGION)
    return load_stack("heavy", front).task_spec(LOCAL_REGION)


def start_task(tmp: Path, spec: TaskSpec | None = None, projects: int = PROJECTS) -> LocalTask:
    if spec is None or spec.front_enabled:
        require_real_part(nginx_available(), "nginx")
    packages = tmp / "packages"
    repo_gen.generate(packages, projects, VERSIONS, payload_bytes=1024, prefix="demo")
    task = LocalTask(spec or heavy_spec(), packages, tmp / "run", free_port()).start()
    if task.spec.front_enabled and projects:
        # The generated files were there before the start: wait for the first scan.
        last = repo_gen.project_name(projects - 1, "demo")
        assert wait_until_listed(task, last, "demo_", 30) is not None, "the first scan must index the folder"
        assert wait_until_ready(task, 30), "the first pass must complete (a missing page is then a 404)"
    return task


def wait_until_ready(task: LocalTask, limit: float) -> bool:
    """Whether the task's first pass over its folder completed within `limit` seconds."""
    marker = task.packages_dir / contract.INDEX_DIR / contract.READY_MARKER
    deadline = time.monotonic() + limit
    while not marker.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def auth_header(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def http(
    method: str, url: str, headers: dict[str, str] | None = None, data: bytes | None = None, timeout: float = 10
) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) without raising on 4xx/5xx."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body, as twine builds it."""
    boundary = "----localrun" + hashlib.sha1(repr(sorted(fields.items())).encode()).hexdigest()
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    for field, (filename, content) in (files or {}).items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def multipart_upload(filename: str, content: bytes) -> tuple[bytes, str]:
    """The body twine sends for a file (only the fields pypiserver reads, plus the action)."""
    return multipart({":action": "file_upload"}, {"content": (filename, content)})


def post(
    url: str,
    task: LocalTask,
    body: bytes,
    ctype: str,
    password: str | None = None,
    anonymous: bool = False,
    user_agent: str = "local-run-test",
) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Content-Type": ctype, "User-Agent": user_agent}
    if not anonymous:
        headers.update(auth_header(task.credentials["username"], password or task.credentials["password"]))
    return http("POST", url + "/", headers, body, timeout=120)


def upload_full(
    task: LocalTask, filename: str, content: bytes, url: str | None = None, **kw
) -> tuple[int, bytes, dict[str, str]]:
    body, ctype = multipart_upload(filename, content)
    return post(url or task.url, task, body, ctype, **kw)


def upload(
    task: LocalTask,
    filename: str,
    content: bytes,
    password: str | None = None,
    anonymous: bool = False,
    user_agent: str = "local-run-test",
    url: str | None = None,
) -> int:
    return upload_full(task, filename, content, url, password=password, anonymous=anonymous, user_agent=user_agent)[0]


def throttled_upload(
    url: str, credentials: dict[str, str], filename: str, path: Path, bytes_per_second: float
) -> tuple[int, float, float]:
    """Upload a file from disk as twine does, at most `bytes_per_second` (a slow client: a large
    upload stays in flight for seconds without sending GiBs). Returns (status, monotonic start,
    monotonic end); a connection cut mid-way is status 0."""
    boundary = "----throttled" + hashlib.sha1(filename.encode()).hexdigest()
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name=":action"\r\n\r\nfile_upload\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    parts = urlsplit(url)
    connection = HTTPConnection(parts.hostname, parts.port, timeout=600)
    start = time.monotonic()
    try:
        connection.putrequest("POST", "/")
        for name, value in {
            **auth_header(credentials["username"], credentials["password"]),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + path.stat().st_size + len(tail)),
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(head)
        sent = 0
        with open(path, "rb") as body:
            while chunk := body.read(1 << 20):
                connection.send(chunk)
                sent += len(chunk)
                ahead = sent / bytes_per_second - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
        connection.send(tail)
        response = connection.getresponse()
        response.read()
        return response.status, start, time.monotonic()
    except OSError:
        return 0, start, time.monotonic()
    finally:
        connection.close()


def run(cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def twine_upload(
    task: LocalTask, files: list[Path], password: str | None = None, *extra: str
) -> subprocess.CompletedProcess:
    return run(
        [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            task.url + "/",
            "-u",
            task.credentials["username"],
            "-p",
            password or task.credentials["password"],
            *extra,
            *map(str, files),
        ]
    )


def pip(task: LocalTask, *args: str) -> subprocess.CompletedProcess:
    user, password = task.credentials["username"], task.credentials["password"]
    index = f"http://{user}:{password}@127.0.0.1:{task.port}/simple/"
    return run(
        [
            sys.executable,
            "-m",
            "pip",
            *args,
            "--index-url",
            index,
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--no-deps",
        ]
    )


def wait_until_listed(task: LocalTask, project: str, filename: str, limit: float) -> float | None:
    """Seconds until the project's page lists filename, polling like a busy client; None past limit."""
    headers = auth_header(task.credentials["username"], task.credentials["password"])
    start = time.monotonic()
    while time.monotonic() - start <= limit:
        status, body, _ = http("GET", f"{task.url}/simple/{project}/", headers)
        if status == 200 and filename.encode() in body:
            return time.monotonic() - start
        time.sleep(0.1)
    return None
