"""Faults against the local run of the task: pypiserver dying under load, uploads written
while clients hammer the page. Small bounded loads (a few clients, a few seconds)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import aiohttp
import pytest
from local_run_support import auth_header, http, start_task, upload, wait_until_listed

from components import task_design as td
from tools import loadgen, repo_gen


def warm_pages(task, projects: list[str]) -> None:
    headers = auth_header(task.credentials["username"], task.credentials["password"])
    for p in projects:
        status, _, _ = http("GET", f"{task.url}/simple/{p}/", headers)
        assert status == 200, f"warming {p} got {status}"


def test_nginx_keeps_serving_cached_pages_and_files_while_pypiserver_is_down(tmp_path):
    task = start_task(tmp_path, projects=8)
    try:
        projects = [repo_gen.project_name(i, "demo") for i in range(8)]
        warm_pages(task, projects)
        creds = (task.credentials["username"], task.credentials["password"])
        # Long enough for every cached page to expire while pypiserver is dead: those must
        # then be served stale, not as errors.
        profile = loadgen.Profile(clients=6, max_operations=100_000, max_seconds=td.PAGE_CACHE_SECONDS + 2,
                                  think_seconds=0.05)
        killer = threading.Timer(0.5, task.kill_pypiserver)
        killer.start()
        result = asyncio.run(loadgen.run_load(task.url, projects, profile, creds, timeout=10))
        killer.join()
        after_kill = [o for o in result.operations if o.started > 0.6]
        errors = [o.error for o in after_kill if o.error]
        print(f"\n{len(after_kill)} installs after the kill, {len(errors)} errors: {sorted(set(errors))}")
        assert not task.pypiserver_alive, "pypiserver must really be down during the load"
        assert max(o.started for o in after_kill) > td.PAGE_CACHE_SECONDS, "the load must outlast the page cache"
        assert errors == [], "cached pages (even expired) and package files must keep being served"

        task.start_pypiserver()
        filename, content = loadgen.throwaway_wheel("after-restart")
        assert upload(task, filename, content) == 200, "uploads work again after the restart"
        assert wait_until_listed(task, "after-restart", filename, td.STALENESS_BOUND_SECONDS) is not None, \
            f"and the new project is listed within {td.STALENESS_BOUND_SECONDS} s"
    finally:
        task.stop()


@dataclass
class Seen:
    """What one pip-like client got at one moment."""

    at: float  # seconds since the scenario began
    listed: str | None  # newest filename on the page
    outcome: str  # "ok" (hash matched), or the error
    accepted_sha: str | None = None  # sha256 of a file the client accepted


async def hammer(task, project: str, t0: float, stop: asyncio.Event, clients: int = 4) -> list[Seen]:
    """Clients that fetch the page and download its newest file, checking the hash like pip."""
    headers = auth_header(task.credentials["username"], task.credentials["password"])
    seen: list[Seen] = []

    async def one(session: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            at = time.monotonic() - t0
            try:
                async with session.get(f"{task.url}/simple/{project}/", headers=headers) as resp:
                    body = await resp.text()
                    if resp.status != 200:
                        seen.append(Seen(at, None, f"page {resp.status}"))
                        continue
                href, sha = loadgen.LINK.findall(body)[-1]
                async with session.get(urljoin(f"{task.url}/simple/{project}/", href), headers=headers) as resp:
                    data = await resp.read()
                    got = hashlib.sha256(data).hexdigest()
                    outcome = "ok" if resp.status == 200 and got == sha else (
                        "hash mismatch" if resp.status == 200 else f"download {resp.status}")
                    seen.append(Seen(at, href.rsplit("/", 1)[-1], outcome, got if outcome == "ok" else None))
            except aiohttp.ClientError as err:
                seen.append(Seen(at, None, type(err).__name__))
            await asyncio.sleep(0.05)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(one(session) for _ in range(clients)))
    return seen


async def while_hammering(task, project: str, change) -> tuple[list[Seen], float]:
    """Run `change()` (blocking: an upload or a write) in a thread while clients hammer the
    project's page; keep hammering until the staleness bound has passed after it ended.
    Returns what clients saw and when the change ended (seconds since start)."""
    t0 = time.monotonic()
    stop = asyncio.Event()
    load = asyncio.create_task(hammer(task, project, t0, stop))
    await asyncio.sleep(0.3)
    await asyncio.to_thread(change)
    done = time.monotonic() - t0
    await asyncio.sleep(td.STALENESS_BOUND_SECONDS + 1)
    stop.set()
    return await load, done


def check_no_wrong_file_and_bounded_window(seen: list[Seen], valid: dict[str, str], new_file: str,
                                           change_done: float) -> None:
    """valid: filename -> sha256 of its final bytes."""
    wrong = [s for s in seen if s.outcome == "ok" and valid.get(s.listed) != s.accepted_sha]
    errors = [s for s in seen if s.outcome != "ok"]
    window = (round(min(s.at for s in errors), 2), round(max(s.at for s in errors), 2)) if errors else None
    first_new = min((s.at for s in seen if s.listed == new_file and s.outcome == "ok"), default=None)
    kinds = sorted({s.outcome for s in errors})
    print(f"\n{len(seen)} installs; {len(errors)} errors {kinds}, window {window}; change done at {change_done:.2f} s; "
          f"new file first installed at {first_new and round(first_new, 2)} s")
    assert wrong == [], f"no client may accept a truncated or wrong file: {wrong[:3]}"
    assert all(s.at <= change_done + td.STALENESS_BOUND_SECONDS for s in errors), \
        f"errors must stop within {td.STALENESS_BOUND_SECONDS} s of the change's end: {window}"
    assert first_new is not None and first_new <= change_done + td.STALENESS_BOUND_SECONDS, \
        f"the new file must be installed within the staleness bound (first at {first_new})"


def new_wheel(directory, version: str, mib: int) -> tuple[str, bytes]:
    """A wheel of about `mib` MiB of incompressible filler, dated now."""
    filler = os.urandom(mib * 2**19).hex().encode()
    wheel = repo_gen.write_wheel(directory, "big-project", version, filler, published=False)
    return wheel.filename, (directory / wheel.filename).read_bytes()


@pytest.fixture
def big_project_task(tmp_path):
    task = start_task(tmp_path / "task", projects=1)
    small = repo_gen.write_wheel(task.packages_dir, "big-project", "1.0.0", b"small")
    assert wait_until_listed(task, "big-project", small.filename, td.STALENESS_BOUND_SECONDS) is not None
    yield task, {small.filename: hashlib.sha256((task.packages_dir / small.filename).read_bytes()).hexdigest()}
    task.stop()


def test_large_upload_while_clients_hammer_its_page(big_project_task, tmp_path):
    task, valid = big_project_task
    filename, content = new_wheel(tmp_path, "2.0.0", 24)
    valid[filename] = hashlib.sha256(content).hexdigest()
    statuses: list[int] = []
    seen, done = asyncio.run(while_hammering(task, "big-project",
                                             lambda: statuses.append(upload(task, filename, content))))
    assert statuses == [200], f"the large upload must succeed, got {statuses}"
    check_no_wrong_file_and_bounded_window(seen, valid, filename, done)


def test_slow_in_place_write_while_clients_hammer_its_page(big_project_task, tmp_path):
    """What pypiserver does on a slow EFS: the file grows in place, 1 MiB at a time, with
    pauses (here 2 s in all, under the settle time), while clients keep installing."""
    task, valid = big_project_task
    filename, content = new_wheel(tmp_path, "3.0.0", 8)
    valid[filename] = hashlib.sha256(content).hexdigest()

    def slow_write() -> None:
        chunk = 2**20
        with open(task.packages_dir / filename, "wb") as f:
            for i in range(0, len(content), chunk):
                f.write(content[i:i + chunk])
                f.flush()
                time.sleep(2 / (len(content) / chunk))

    seen, done = asyncio.run(while_hammering(task, "big-project", slow_write))
    check_no_wrong_file_and_bounded_window(seen, valid, filename, done)
