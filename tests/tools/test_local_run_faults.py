"""Faults against the local run of the task: pypiserver dying under load or mid-upload, uploads
and out-of-band copies while clients hammer the page. Small bounded loads (a few clients, a
few seconds)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import aiohttp
import pytest

from pypi_index import contract
from task.spec import OUT_OF_BAND_BOUND_SECONDS
from tests.support.local_run_support import auth_header, http, multipart_upload, start_task, upload, wait_until_listed
from tools import loadgen, repo_gen


def warm_pages(task, projects: list[str]) -> None:
    headers = auth_header(task.credentials["username"], task.credentials["password"])
    for p in projects:
        status, _, _ = http("GET", f"{task.url}/simple/{p}/", headers)
        assert status == 200, f"warming {p} got {status}"


def test_reads_never_depend_on_pypiserver(tmp_path):
    task = start_task(tmp_path, projects=8)
    try:
        projects = [repo_gen.project_name(i, "demo") for i in range(8)]
        creds = (task.credentials["username"], task.credentials["password"])
        profile = loadgen.Profile(clients=6, max_operations=100_000, max_seconds=3, think_seconds=0.05)
        killer = threading.Timer(0.5, task.kill_pypiserver)
        killer.start()
        result = asyncio.run(loadgen.run_load(task.url, projects, profile, creds, timeout=10))
        killer.join()
        after_kill = [o for o in result.operations if o.started > 0.6]
        errors = [o.error for o in after_kill if o.error]
        print(f"\n{len(after_kill)} installs after the kill, {len(errors)} errors: {sorted(set(errors))}")
        assert not task.pypiserver_alive, "pypiserver must really be down during the load"
        assert len(after_kill) > 20 and errors == [], "pages and package files are static: no pypiserver needed"

        task.start_pypiserver()
        filename, content = loadgen.throwaway_wheel("after-restart")
        assert upload(task, filename, content) == 200, "uploads work again after the restart"
        _, page, _ = http(
            "GET",
            f"{task.url}/simple/after-restart/",
            auth_header(task.credentials["username"], task.credentials["password"]),
        )
        assert filename.encode() in page, "and are listed at once"
    finally:
        task.stop()


def test_pypiserver_killed_mid_upload_publishes_nothing_and_a_retry_works(tmp_path):
    task = start_task(tmp_path, projects=1)
    try:
        filler = os.urandom(48 * 2**19).hex().encode()
        wheel = repo_gen.write_wheel(tmp_path, "killed-upload", "1.0", filler, published=False)
        content = (tmp_path / wheel.filename).read_bytes()
        body, ctype = multipart_upload(wheel.filename, content)
        headers = {**auth_header(task.credentials["username"], task.credentials["password"]), "Content-Type": ctype}
        outcome: list = []
        sender = threading.Thread(target=lambda: outcome.append(http("POST", task.url + "/", headers, body, 60)[0]))
        sender.start()
        # Kill while the worker is inside the upload (receiving, validating or publishing).
        deadline = time.monotonic() + 20
        incoming = task.packages_dir / contract.INCOMING_DIR
        while time.monotonic() < deadline and not any(incoming.iterdir()):
            time.sleep(0.005)
        assert any(incoming.iterdir()), "the upload must have reached pypiserver"
        os.killpg(task._pypiserver.pid, signal.SIGKILL)
        sender.join(60)
        assert outcome and outcome[0] >= 500, f"the client must see a failure, got {outcome}"
        task._pypiserver.wait()
        assert not (task.packages_dir / wheel.filename).exists(), "nothing half-published"
        status, page, _ = http(
            "GET",
            f"{task.url}/simple/killed-upload/",
            auth_header(task.credentials["username"], task.credentials["password"]),
        )
        assert status == 404, "and not listed"
        task.start_pypiserver()
        assert upload(task, wheel.filename, content) == 200, "the retry is accepted (no 409)"
        status, page, _ = http(
            "GET",
            f"{task.url}/simple/killed-upload/",
            auth_header(task.credentials["username"], task.credentials["password"]),
        )
        assert status == 200 and wheel.filename.encode() in page
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
                    outcome = (
                        "ok"
                        if resp.status == 200 and got == sha
                        else ("hash mismatch" if resp.status == 200 else f"download {resp.status}")
                    )
                    seen.append(Seen(at, href.rsplit("/", 1)[-1], outcome, got if outcome == "ok" else None))
            except aiohttp.ClientError as err:
                seen.append(Seen(at, None, type(err).__name__))
            await asyncio.sleep(0.05)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(one(session) for _ in range(clients)))
    return seen


async def while_hammering(task, project: str, change, bound: float) -> tuple[list[Seen], float]:
    """Run `change()` (blocking: an upload or a write) in a thread while clients hammer the
    project's page; keep hammering until `bound` has passed after it ended.
    Returns what clients saw and when the change ended (seconds since start)."""
    t0 = time.monotonic()
    stop = asyncio.Event()
    load = asyncio.create_task(hammer(task, project, t0, stop))
    await asyncio.sleep(0.3)
    await asyncio.to_thread(change)
    done = time.monotonic() - t0
    await asyncio.sleep(bound + 1)
    stop.set()
    return await load, done


def check_no_wrong_file_and_bounded_window(
    seen: list[Seen], valid: dict[str, str], new_file: str, change_done: float, bound: float
) -> None:
    """valid: filename -> sha256 of its final bytes."""
    wrong = [s for s in seen if s.outcome == "ok" and valid.get(s.listed) != s.accepted_sha]
    errors = [s for s in seen if s.outcome != "ok"]
    window = (round(min(s.at for s in errors), 2), round(max(s.at for s in errors), 2)) if errors else None
    first_new = min((s.at for s in seen if s.listed == new_file and s.outcome == "ok"), default=None)
    kinds = sorted({s.outcome for s in errors})
    print(
        f"\n{len(seen)} installs; {len(errors)} errors {kinds}, window {window}; change done at {change_done:.2f} s; "
        f"new file first installed at {first_new and round(first_new, 2)} s"
    )
    assert wrong == [], f"no client may accept a truncated or wrong file: {wrong[:3]}"
    assert errors == [], f"clients must see the old or the new file, never an error: {kinds} {window}"
    assert first_new is not None and first_new <= change_done + bound, (
        f"the new file must be installed within {bound} s of the change (first at {first_new})"
    )


def new_wheel(directory, version: str, mib: int) -> tuple[str, bytes]:
    """A wheel of about `mib` MiB of incompressible filler, dated now."""
    filler = os.urandom(mib * 2**19).hex().encode()
    wheel = repo_gen.write_wheel(directory, "big-project", version, filler, published=False)
    return wheel.filename, (directory / wheel.filename).read_bytes()


@pytest.fixture
def big_project_task(tmp_path):
    task = start_task(tmp_path / "task", projects=1)
    small = repo_gen.write_wheel(task.packages_dir, "big-project", "1.0.0", b"small")
    assert wait_until_listed(task, "big-project", small.filename, OUT_OF_BAND_BOUND_SECONDS + 2) is not None
    yield task, {small.filename: hashlib.sha256((task.packages_dir / small.filename).read_bytes()).hexdigest()}
    task.stop()


def test_large_upload_while_clients_hammer_its_page(big_project_task, tmp_path):
    task, valid = big_project_task
    filename, content = new_wheel(tmp_path, "2.0.0", 24)
    valid[filename] = hashlib.sha256(content).hexdigest()
    statuses: list[int] = []
    seen, done = asyncio.run(
        while_hammering(task, "big-project", lambda: statuses.append(upload(task, filename, content)), 1)
    )
    assert statuses == [200], f"the large upload must succeed, got {statuses}"
    # Listed when the upload returned: the first client request after it gets the new file.
    check_no_wrong_file_and_bounded_window(seen, valid, filename, done, 0.5)


def test_slow_in_place_copy_while_clients_hammer_its_page(big_project_task, tmp_path):
    """An admin copying a file in by hand on a slow EFS: the file grows in place, 1 MiB at a
    time, with pauses (2 s in all), while clients keep installing. Never listed mid-copy;
    listed within the out-of-band bound once complete."""
    task, valid = big_project_task
    filename, content = new_wheel(tmp_path, "3.0.0", 8)
    valid[filename] = hashlib.sha256(content).hexdigest()

    def slow_write() -> None:
        chunk = 2**20
        with open(task.packages_dir / filename, "wb") as f:
            for i in range(0, len(content), chunk):
                f.write(content[i : i + chunk])
                f.flush()
                time.sleep(2 / (len(content) / chunk))

    bound = OUT_OF_BAND_BOUND_SECONDS + 1  # + the scan's own time (validating 8 MiB)
    seen, done = asyncio.run(while_hammering(task, "big-project", slow_write, bound))
    check_no_wrong_file_and_bounded_window(seen, valid, filename, done, bound)
