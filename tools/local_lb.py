"""A local load balancer standing in for the ALB in front of several local tasks.

nginx on loopback, round robin over the tasks' ports. Like the ALB, a target is taken out
of rotation (deregistered) before its task is stopped, and a new task is registered once it
is healthy; `set_targets` rewrites the config and reloads nginx gracefully (requests in
flight finish on the old workers).

`deregister` models the target group's draining: the target gets no new request, and the
deregistration completes as soon as no request to it is in flight ("If a deregistering target
has no in-flight requests and no active connections, Elastic Load Balancing immediately
completes the deregistration process, without waiting for the deregistration delay to
elapse", ELB user guide), or when the deregistration delay has elapsed. The ALB closes a
draining target's idle connections; this balancer keeps none to its targets (a connection to
a target exists only while a request is in flight), so counting connections counts requests.
The idle timeout is the ALB's (task/timing.py).
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

from task.timing import DEREGISTRATION_DELAY_SECONDS, LOAD_BALANCER_IDLE_TIMEOUT_SECONDS
from tools.local_task import LocalRunError, free_port, nginx_binary, require_nginx
from tools.local_tls import LocalTls

HEALTH_PATH = "/health"
# /proc/net/tcp: the TCP state column's value for an established connection.
TCP_ESTABLISHED = "01"


def balancer_config(listen_port: int, targets: list[int], workdir: Path, tls: LocalTls | None = None) -> str:
    # HTTPS as the ALB's listener with a certificate: TLS ends here, the tasks get plain HTTP.
    listen = f"{listen_port} ssl" if tls else str(listen_port)
    certificate = f"ssl_certificate {tls.cert};\n        ssl_certificate_key {tls.key};" if tls else ""
    # With no target registered the ALB answers 503 itself.
    upstream = "upstream tasks {\n" + "".join(f"        server 127.0.0.1:{p};\n" for p in targets) + "    }"
    forward = f"""proxy_pass http://tasks;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout {LOAD_BALANCER_IDLE_TIMEOUT_SECONDS}s;
            proxy_send_timeout {LOAD_BALANCER_IDLE_TIMEOUT_SECONDS}s;
            # Like the ALB: a request is sent to one target, and not retried elsewhere.
            proxy_next_upstream off;"""
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

    {upstream if targets else ""}

    server {{
        listen 127.0.0.1:{listen} backlog=4096;
        {certificate}
        location / {{
            {forward if targets else "return 503;"}
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

    def set_targets(self, targets: list[int], timeout: float = 10) -> None:
        """Register/deregister: new config, graceful reload (old workers finish their requests).
        Returns once every worker of the old config has stopped taking requests."""
        self.targets = list(targets)
        self._write()
        assert self._proc is not None, "start() first"
        old = self._workers()
        os.kill(self._proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        # nginx retitles a retiring worker "worker process is shutting down" once it no longer
        # accepts connections; then only the new config's workers take requests.
        while any(_title(pid) == "nginx: worker process" for pid in old) or not self._workers() - old:
            if time.monotonic() > deadline:
                raise LocalRunError(f"the balancer did not reload within {timeout:.0f} s; see {self.workdir}")
            time.sleep(0.02)

    def _workers(self) -> set[int]:
        assert self._proc is not None
        return {pid for pid in _children(self._proc.pid) if _title(pid) == "nginx: worker process"}

    def deregister(self, port: int, delay: float = DEREGISTRATION_DELAY_SECONDS) -> float:
        """Take `port` out of rotation, then wait until no request to it is in flight (or
        `delay` has elapsed, when the ALB completes the deregistration anyway). Returns the
        seconds the deregistration took."""
        start = time.monotonic()
        self.set_targets([t for t in self.targets if t != port])
        while time.monotonic() - start < delay and connections_to(port):
            time.sleep(0.05)
        return time.monotonic() - start

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


def connections_to(port: int) -> int:
    """Established TCP connections to 127.0.0.1:`port` (Linux /proc/net/tcp: the client ends,
    whose remote address is the port)."""
    wanted = f"0100007F:{port:04X}"
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            if fields[2] == wanted and fields[3] == TCP_ESTABLISHED:
                count += 1
    return count


def _children(parent: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.add(int(entry))
    return found


def _title(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""
