"""The load client shared by the stress tool and the benchmark.

Each simulated client does what `pip install <project>` does against a simple index:
GET /simple/<project>/, pick the newest file, GET it and check its sha256 against the
link's fragment (a mismatch is an error, as in pip). Optionally a share of operations are
uploads (POST / with `:action=file_upload`, as twine does). Loads are bounded both in
operation count and in time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import random
import re
import sys
import time
import zipfile
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin

import aiohttp

LINK = re.compile(r'href="([^"#]+)#sha256=([0-9a-f]{64})"')


@dataclass(frozen=True)
class Profile:
    clients: int
    max_operations: int
    max_seconds: float
    upload_fraction: float = 0.0
    think_seconds: float = 0.0  # pause between one client's operations (steady, paced load)
    description: str = ""
    # Installs visit the projects in a shuffled order, each once per round, instead of at
    # random (a first pass over every project).
    each_once: bool = False


PROFILES: dict[str, Profile] = {
    # The module's `production_incident`: 510 clients at once.
    "burst": Profile(clients=510, max_operations=5100, max_seconds=300, description="510 concurrent installs, 10 each"),
    "sustained": Profile(
        clients=50,
        max_operations=20000,
        max_seconds=120,
        think_seconds=0.2,
        description="50 clients installing steadily for up to 2 minutes",
    ),
    # The module's `with_uploads`: 30 % of operations are uploads.
    "with-uploads": Profile(
        clients=100,
        max_operations=2000,
        max_seconds=180,
        upload_fraction=0.3,
        description="100 clients, 30 % uploads of new throwaway projects",
    ),
    "light": Profile(
        clients=5,
        max_operations=300,
        max_seconds=60,
        think_seconds=0.1,
        description="5 clients, the guide's light profile",
    ),
}


@dataclass
class Operation:
    """One install (page + download) or one upload, as a client saw it."""

    kind: str  # "install" | "upload"
    started: float  # seconds since the load began
    latency: float
    error: str | None = None  # None, "http 503", "timeout", "connection", "hash mismatch", ...
    status: int | None = None  # last HTTP status seen
    requests: list[tuple[str, float, int | None]] = field(default_factory=list)  # (what, seconds, status)


@dataclass
class LoadResult:
    operations: list[Operation]
    duration: float
    clients: int

    def to_dict(self) -> dict:
        return {"duration": self.duration, "clients": self.clients, "operations": [asdict(o) for o in self.operations]}


Credentials = tuple[str, str]  # (username, password)


def basic_auth_headers(credentials: Credentials | None) -> dict[str, str]:
    if credentials is None:
        return {}
    token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Client:
    """One pip-like client (operations reuse keep-alive connections, as pip's session does)."""

    def __init__(self, base_url: str, credentials: Credentials | None, timeout: float):
        self.base = base_url.rstrip("/") + "/"
        self.headers = basic_auth_headers(credentials)
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def install(self, session: aiohttp.ClientSession, project: str, t0: float) -> Operation:
        op = Operation(kind="install", started=time.perf_counter() - t0, latency=0.0)
        async with _recorded(op, t0):
            page_url = urljoin(self.base, f"simple/{project}/")
            r0 = time.perf_counter()
            async with session.get(page_url, headers=self.headers, timeout=self.timeout) as resp:
                op.status = resp.status
                body = await resp.text()
                op.requests.append(("page", time.perf_counter() - r0, resp.status))
                if resp.status != 200:
                    op.error = f"http {resp.status}"
                    return op
                page_url = str(resp.url)
            links = LINK.findall(body)
            if not links:
                op.error = "no links"
                return op
            href, sha = links[-1]  # pypiserver sorts by version: the newest is last
            r1 = time.perf_counter()
            async with session.get(urljoin(page_url, href), headers=self.headers, timeout=self.timeout) as resp:
                op.status = resp.status
                data = await resp.read()
                op.requests.append(("download", time.perf_counter() - r1, resp.status))
                if resp.status != 200:
                    op.error = f"http {resp.status}"
                elif hashlib.sha256(data).hexdigest() != sha:
                    op.error = "hash mismatch"
        return op

    async def upload(self, session: aiohttp.ClientSession, filename: str, content: bytes, t0: float) -> Operation:
        op = Operation(kind="upload", started=time.perf_counter() - t0, latency=0.0)
        form = aiohttp.FormData()
        form.add_field(":action", "file_upload")
        form.add_field("protocol_version", "1")
        form.add_field("sha256_digest", hashlib.sha256(content).hexdigest())
        form.add_field("content", content, filename=filename, content_type="application/octet-stream")
        async with _recorded(op, t0):
            r0 = time.perf_counter()
            async with session.post(self.base, data=form, headers=self.headers, timeout=self.timeout) as resp:
                op.status = resp.status
                await resp.read()
                op.requests.append(("upload", time.perf_counter() - r0, resp.status))
                if resp.status != 200:
                    op.error = f"http {resp.status}"
        return op


@contextlib.asynccontextmanager
async def _recorded(op: Operation, t0: float):
    """Classify a client-side failure as the operation's error; always record its latency."""
    try:
        yield
    except TimeoutError:
        op.error = "timeout"
    except aiohttp.ClientConnectionError as err:
        op.error = f"connection ({type(err).__name__})"
    except aiohttp.ClientError as err:
        op.error = type(err).__name__
    finally:
        op.latency = time.perf_counter() - t0 - op.started


def throwaway_wheel(project: str, version: str = "1.0.0", payload: int = 4096) -> tuple[str, bytes]:
    """A small valid wheel built in memory (for uploads)."""
    from tools.repo_gen import wheel_bytes_files

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, data in wheel_bytes_files(project, version, b"x" * payload).items():
            zf.writestr(path, data)
    return f"{project.replace('-', '_')}-{version}-py3-none-any.whl", buf.getvalue()


class Progress:
    """One status line on stderr, rewritten in place."""

    def __init__(self, total: int, max_seconds: float, enabled: bool, label: str = ""):
        self.total, self.max_seconds, self.enabled, self.label = total, max_seconds, enabled, label
        self.done = self.errors = 0
        self.t0 = time.perf_counter()
        self._last = 0.0

    def update(self, op: Operation, force: bool = False) -> None:
        self.done += 1
        self.errors += op.error is not None
        now = time.perf_counter()
        if self.enabled and (force or now - self._last > 0.25 or self.done == self.total):
            self._last = now
            elapsed = now - self.t0
            width = 30
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            rate = self.done / elapsed if elapsed else 0.0
            sys.stderr.write(
                f"\r{self.label}[{bar}] {self.done}/{self.total} ops  {rate:7.1f}/s  "
                f"errors {self.errors}  {elapsed:5.1f}/{self.max_seconds:.0f}s "
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


async def run_load(
    base_url: str,
    projects: list[str],
    profile: Profile,
    credentials: Credentials | None = None,
    *,
    timeout: float = 60.0,
    seed: int = 1,
    progress: bool = False,
    label: str = "",
    upload_prefix: str = "stress-upload",
) -> LoadResult:
    """Run `profile` against base_url; stops at max_operations or max_seconds, whichever first."""
    rng = random.Random(seed)
    client = Client(base_url, credentials, timeout)
    ops: list[Operation] = []
    issued = 0
    bar = Progress(profile.max_operations, profile.max_seconds, progress, label)
    run_id = f"{int(time.time())}{rng.randrange(1000):03d}"
    t0 = time.perf_counter()
    deadline = t0 + profile.max_seconds
    # One connection per client, like one pip process each; no pool-wide cap.
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, force_close=False, ttl_dns_cache=300)
    order = rng.sample(projects, len(projects)) if profile.each_once else None

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal issued
        while issued < profile.max_operations and time.perf_counter() < deadline:
            n = issued
            issued += 1
            if profile.upload_fraction and rng.random() < profile.upload_fraction:
                filename, content = throwaway_wheel(f"{upload_prefix}-{run_id}-{n}")
                op = await client.upload(session, filename, content, t0)
            else:
                op = await client.install(session, order[n % len(order)] if order else rng.choice(projects), t0)
            ops.append(op)
            bar.update(op)
            if profile.think_seconds:
                await asyncio.sleep(profile.think_seconds)

    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(profile.clients)))
    duration = max((o.started + o.latency for o in ops), default=0.0)
    bar.close()
    return LoadResult(operations=ops, duration=duration, clients=profile.clients)


# -- statistics -------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def summarize(ops: list[Operation], duration: float) -> dict:
    """Throughput, latency percentiles and errors by kind for a list of operations."""
    latencies = [o.latency for o in ops]
    errors: dict[str, int] = {}
    for o in ops:
        if o.error:
            errors[o.error] = errors.get(o.error, 0) + 1
    ok = sum(1 for o in ops if o.error is None)
    server_errors = sum(1 for o in ops if o.status is not None and o.status >= 500)
    requests = sum(len(o.requests) for o in ops)
    return {
        "operations": len(ops),
        "succeeded": ok,
        "durationSeconds": round(duration, 3),
        "operationsPerSecond": round(len(ops) / duration, 2) if duration else 0.0,
        "requestsPerSecond": round(requests / duration, 2) if duration else 0.0,
        "p50Seconds": round(percentile(latencies, 50), 4),
        "p95Seconds": round(percentile(latencies, 95), 4),
        "p99Seconds": round(percentile(latencies, 99), 4),
        "maxSeconds": round(max(latencies, default=0.0), 4),
        "errors": sum(errors.values()),
        "errorRate": round(sum(errors.values()) / len(ops), 5) if ops else 0.0,
        "errorsByKind": dict(sorted(errors.items())),
        "http5xx": server_errors,
    }


# Pass criteria: (summary metric, comparison, limit).
# The guide's (the module's stress test): error rate < 1 %, P95 < 15 s, fewer than 10 5xx.
GUIDE_CRITERIA = {
    "error rate < 1 %": ("errorRate", "<", 0.01),
    "P95 < 15 s": ("p95Seconds", "<", 15.0),
    "5xx < 10": ("http5xx", "<", 10),
}
# Ours (the serving-under-burst targets, warm cache): P95 <= 0.5 s, P99 <= 1 s, no errors at all.
OUR_CRITERIA = {
    "no errors": ("errors", "<=", 0),
    "P95 <= 0.5 s": ("p95Seconds", "<=", 0.5),
    "P99 <= 1 s": ("p99Seconds", "<=", 1.0),
}


def verdict(summary: dict, criteria: dict) -> dict:
    """Each criterion with its measured value and whether it holds."""
    compare = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b}
    checks = {
        name: {"measured": summary[metric], "limit": limit, "pass": compare[op](summary[metric], limit)}
        for name, (metric, op, limit) in criteria.items()
    }
    return {"pass": all(c["pass"] for c in checks.values()), "checks": checks}
