"""The benchmark's physical limit: nginx serving the same index pages and files as static
files, with no auth, no cache logic and no pypiserver behind it.

Pages are pre-rendered once in the shape pypiserver gives them (links relative to the page,
with `#sha256=`), so the client does exactly the same work as against a real index.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tools.local_task import LocalRunError, nginx_binary, pin_to, require_nginx


def render_site(packages_dir: Path, site_dir: Path) -> int:
    """site_dir/simple/<project>/index.html for every project in packages_dir; returns the count."""
    by_project: dict[str, list[Path]] = defaultdict(list)
    for wheel in sorted(packages_dir.glob("*.whl")):
        by_project[wheel.name.split("-")[0].replace("_", "-").lower()].append(wheel)
    for project, wheels in by_project.items():
        links = "".join(
            f'<a href="../../packages/{w.name}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">{w.name}</a><br>\n'
            for w in wheels
        )
        page = site_dir / "simple" / project / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<!DOCTYPE html><html><body><h1>Links for {project}</h1>\n{links}</body></html>\n")
    return len(by_project)


def static_config(port: int, site_dir: Path, packages_dir: Path, state_dir: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes auto;
daemon off;
pid {state_dir}/nginx.pid;
error_log {state_dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    default_type application/octet-stream;
    types {{ text/html html; }}
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 100000;
    client_body_temp_path {state_dir}/client_body;
    proxy_temp_path {state_dir}/proxy;
    fastcgi_temp_path {state_dir}/fastcgi;
    uwsgi_temp_path {state_dir}/uwsgi;
    scgi_temp_path {state_dir}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location /simple/ {{ root {site_dir}; index index.html; }}
        location /packages/ {{ alias {packages_dir.resolve()}/; }}
        location = /health {{ return 200 "Ok\\n"; }}
    }}
}}
"""


@dataclass
class StaticServer:
    packages_dir: Path
    workdir: Path
    port: int
    cpus: frozenset[int] | None = None
    _proc: subprocess.Popen | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StaticServer:
        if nginx_binary() is None:
            raise LocalRunError("nginx is not installed (apt-get install -y nginx)")
        site, state = self.workdir / "site", self.workdir / "state"
        state.mkdir(parents=True, exist_ok=True)
        render_site(self.packages_dir, site)
        conf = self.workdir / "nginx.conf"
        conf.write_text(static_config(self.port, site.resolve(), self.packages_dir, state.resolve()))
        self._proc = subprocess.Popen(
            [
                require_nginx(),
                "-c",
                str(conf.resolve()),
                "-p",
                str(self.workdir.resolve()),
                "-e",
                str((state / "error.log").resolve()),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=pin_to(self.cpus),
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise LocalRunError(f"static nginx did not start on port {self.port}; see {state / 'error.log'}")

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGQUIT)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
