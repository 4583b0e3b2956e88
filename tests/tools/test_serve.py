"""`make serve` (tools/serve.py): starts the stack's task, prints credentials, stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.support.local_run_support import auth_header, http
from tests.support.real_parts import nginx_available, require_real_part
from tools.local_task import free_port, port_is_free

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def serve(tmp_path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tools.serve", "--workdir", str(tmp_path), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(proc: subprocess.Popen, marker: str, timeout: float = 30) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if marker in line:
            return lines
    raise AssertionError(f"no {marker!r} in output: {lines} {proc.stderr.read() if proc.poll() is not None else ''}")


def test_serve_runs_the_stack_prints_its_credentials_and_stops_on_ctrl_c(tmp_path):
    require_real_part(nginx_available(), "nginx")
    port = free_port()
    proc = serve(tmp_path, "--stack", "heavy", "--port", str(port), "--generate", "2")
    try:
        lines = read_until(proc, "Ctrl-C")
        saved = json.loads((tmp_path / "credentials.json").read_text())
        printed = {
            k.strip(): v.strip()
            for k, _, v in (line.partition(":") for line in lines)
            if k.strip() in ("username", "password")
        }
        assert printed == {"username": saved["username"], "password": saved["password"]}, (
            "the stack's credentials are printed"
        )
        status, _, _ = http(
            "GET",
            f"http://127.0.0.1:{port}/simple/bench-pkg-001/",
            auth_header(printed["username"], printed["password"]),
        )
        assert status == 200, "the printed credentials open the index"
        backend = (tmp_path / "run" / "nginx" / "nginx.conf").read_text().split("server 127.0.0.1:")[1].split(";")[0]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0, "Ctrl-C is a clean stop (exit 0)"
        assert proc.stdout.read().strip().endswith("stopped."), "says it stopped"
        assert port_is_free(port) and port_is_free(int(backend)), "nginx and pypiserver are gone"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serve_keeps_credentials_across_restarts(tmp_path):
    require_real_part(nginx_available(), "nginx")
    passwords = []
    for _ in range(2):
        proc = serve(tmp_path, "--port", str(free_port()))
        try:
            read_until(proc, "Ctrl-C")
            passwords.append(json.loads((tmp_path / "credentials.json").read_text())["password"])
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(20)
    assert passwords[0] == passwords[1], "clients configured once keep working after a restart"


def test_serve_bad_stack_is_a_one_line_error(tmp_path):
    proc = serve(tmp_path, "--stack", "nope")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "unknown stack 'nope'" in err and err.strip().count("\n") == 0
