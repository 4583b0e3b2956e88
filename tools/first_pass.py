"""The first pass over an existing folder, as clients see it.

From the moment the task answers until its first pass is complete (the ready marker exists),
clients ask for the pages of projects that exist, as pip does, and every answer is counted. A
404 for a project that exists must never happen: pip then fails, and uv (default
`first-index`) moves on to the next index, where a private name may resolve to a public
package. A 503 with Retry-After tells them to retry.

`resume` shows the pass is resumable: pypiserver is killed half-way and started again, and
the second start's pass only finishes what the first left.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from pypi_index import contract
from tools import loadgen
from tools.local_task import LocalRunError, LocalTask, free_port


@dataclass
class PassWatch:
    """What clients saw during one first pass."""

    seconds: float = 0.0  # from the start of watching until the marker existed
    statuses: Counter = field(default_factory=Counter)  # answers before the marker, by status

    @property
    def not_found(self) -> int:
        return self.statuses.get(404, 0)

    def as_dict(self) -> dict:
        return {
            "seconds": round(self.seconds, 2),
            "requestsDuringPass": sum(self.statuses.values()),
            "byStatus": {str(k): v for k, v in sorted(self.statuses.items())},
            "notFoundForExistingProjects": self.not_found,
        }


def marker(task: LocalTask) -> Path:
    return task.packages_dir / contract.INDEX_DIR / contract.READY_MARKER


def watch(
    task: LocalTask, projects: list[str], auth: loadgen.Credentials, clients: int = 16, timeout: float = 1800
) -> PassWatch:
    """Ask for existing projects' pages (each in turn, `clients` at once) until the pass is complete."""
    return asyncio.run(_watch(task, projects, auth, clients, timeout))


async def _watch(task: LocalTask, projects: list[str], auth, clients: int, timeout: float) -> PassWatch:
    seen = PassWatch()
    ready = marker(task)
    start = time.monotonic()
    headers = loadgen.basic_auth_headers(auth)
    turn = iter(range(1 << 62))

    async def client(session: aiohttp.ClientSession) -> None:
        while not ready.exists():
            if time.monotonic() - start > timeout:
                raise LocalRunError(f"the first pass did not complete within {timeout:.0f} s")
            project = projects[next(turn) % len(projects)]
            async with session.get(f"{task.url}/simple/{project}/", headers=headers) as response:
                await response.read()
                if not ready.exists():  # answered during the pass
                    seen.statuses[response.status] += 1

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    seen.seconds = time.monotonic() - start
    return seen


def recorded(task: LocalTask) -> int:
    """Projects whose records the index has written so far."""
    folder = task.packages_dir / contract.INDEX_DIR / contract.RECORDS_DIR
    return sum(1 for p in folder.iterdir() if p.suffix == ".json") if folder.exists() else 0


def resume(task: LocalTask, projects: int, fraction: float = 0.5, timeout: float = 1800) -> dict:
    """Kill pypiserver once `fraction` of the projects are recorded, start it again, and time
    the second pass (the task's nginx keeps running, answering 503 for pages not written)."""
    start = time.monotonic()
    while recorded(task) < projects * fraction:
        if marker(task).exists():  # a small folder: over before half of it could be seen
            return {"killedAfterSeconds": None, "projectsRecordedWhenKilled": None, "resumedPassSeconds": None}
        if time.monotonic() - start > timeout:
            raise LocalRunError(f"the pass did not reach {fraction:.0%} within {timeout:.0f} s")
        time.sleep(0.05)
    killed_at, done = time.monotonic() - start, recorded(task)
    task.kill_pypiserver()
    restart = time.monotonic()
    task.start_pypiserver()
    while not marker(task).exists():
        if time.monotonic() - restart > timeout:
            raise LocalRunError(f"the resumed pass did not complete within {timeout:.0f} s")
        time.sleep(0.05)
    return {
        "killedAfterSeconds": round(killed_at, 2),
        "projectsRecordedWhenKilled": done,
        "resumedPassSeconds": round(time.monotonic() - restart, 2),
    }


def measure(
    spec, packages: Path, projects: list[str], workdir: Path, cpus: frozenset[int] | None = None, clients: int = 16
) -> dict:
    """The first pass over `packages` with no index yet, twice: watched by clients from the
    start to the end, then killed half-way and resumed. Leaves the folder indexed."""
    index = packages / contract.INDEX_DIR
    shutil.rmtree(index, ignore_errors=True)
    task = LocalTask(spec, packages, workdir / "first-pass", free_port(), cpus=cpus)
    start = time.monotonic()
    try:
        task.start()
        auth = (task.credentials["username"], task.credentials["password"])
        # The projects the pass writes last first: the longest waits.
        seen = watch(task, list(reversed(projects)), auth, clients)
        total = time.monotonic() - start
    finally:
        task.stop()
    shutil.rmtree(index, ignore_errors=True)
    again = LocalTask(spec, packages, workdir / "resumed", free_port(), cpus=cpus)
    try:
        again.start()
        resumed = resume(again, len(projects))
    finally:
        again.stop()
    return {"passSeconds": round(total, 2), **seen.as_dict(), "resumed": resumed}
