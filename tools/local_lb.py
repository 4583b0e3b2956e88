"""A local load balancer standing in for the ALB in front of several local tasks.

nginx on loopback, round robin over the tasks' ports. Like the ALB, a target is taken out
of rotation (deregistered) before its task is stopped, and a new task is registered once it
is healthy; `set_targets` rewrites the config and reloads nginx gracefully (requests in
flight finish on the old workers).
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tools.local_task import LocalRunError, free_port, nginx_binary, require_nginx
from tools.local_tls import LocalTls

HEALTH_PATH = "/health"


def balancer_config(listen_port: int, targets: list[int], workdir: Path, tls: LocalTls | None = None) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in targets)
    # HTTPS as the ALB's listener with a certificate: TLS ends here, the tasks get plain HTTP.
    listen = f"{listen_port} ssl" if tls else str(listen_port)
    certificate = f"ssl_certificate {tls.cert};\n        ssl_certificate_key {tls.key};" if tls else ""
    return f"""# Rendered by tools/local_lb.py.
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    client_max_body_size 0;
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;

    upstream tasks {{
{servers}
        keepalive 32;
    }}

    server {{
        listen 127.0.0.1:{listen} backlog=4096;
        {certificate}
        location / {{
            proxy_pass http://tasks;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 300s;
            # Like the ALB: a request is sent to one target, and not retried elsewhere.
            proxy_next_upstream off;
        }}
    }}
}}
"""


@dataclass
class LocalBalancer:
    workdir: Path
    port: int = field(default_factory=free_port)
    targets: list[int] = field(default_factory=list)
    tls: LocalTls | None = None
    _proc: subprocess.Popen | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def conf(self) -> Path:
        return self.workdir / "nginx.conf"

    def _write(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(balancer_config(self.port, self.targets, self.workdir, self.tls))

    def start(self, timeout: float = 15) -> LocalBalancer:
        if nginx_binary() is None:
            raise LocalRunError("nginx is not installed (apt-get install -y nginx)")
        self._write()
        log = open(self.workdir / "nginx.out", "ab")
        self._proc = subprocess.Popen(
            [require_nginx(), "-c", str(self.conf), "-p", str(self.workdir), "-e", str(self.workdir / "error.log")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        context = ssl.create_default_context(cafile=str(self.tls.ca)) if self.tls else None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + HEALTH_PATH, timeout=1, context=context) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise LocalRunError(f"the balancer did not answer within {timeout:.0f} s; see {self.workdir}")

    def set_targets(self, targets: list[int], settle: float = 0.5) -> None:
        """Register/deregister: new config, graceful reload (old workers finish their requests)."""
        self.targets = list(targets)
        self._write()
        assert self._proc is not None, "start() first"
        os.kill(self._proc.pid, signal.SIGHUP)
        time.sleep(settle)  # nginx starts new workers and retires the old ones

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGQUIT)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()

    def __enter__(self) -> LocalBalancer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
