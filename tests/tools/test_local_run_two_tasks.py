"""Two tasks on one package folder, as the ECS service runs 12+ tasks on one EFS: uploads
through one are installable through the other at once, the same name uploaded through both
at once has one winner, and replacing a task during a burst fails no install.

Locally both tasks share one disk (one page and dentry cache), so this proves the locking
and publishing protocol between tasks, not EFS's cross-host caching (see the README)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from urllib.parse import urljoin

import pytest

from tests.support.index_support import wheel, wheel_name
from tests.support.local_run_support import auth_header, http, pip, start_task, upload
from tools import loadgen, repo_gen
from tools.local_lb import LocalBalancer
from tools.local_task import LocalTask, free_port


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    a = start_task(tmp_path_factory.mktemp("task-a"), projects=4)
    b = None
    try:
        # Same folder, same secret (one per service), its own ports and run files.
        b = LocalTask(
            a.spec, a.packages_dir, tmp_path_factory.mktemp("task-b"), free_port(), credentials=a.credentials
        ).start()
        yield a, b
    finally:
        a.stop()
        if b is not None:
            b.stop()


def install(task, project: str) -> tuple[str | None, str]:
    """A pip-like install through `task`: the page's newest link, downloaded and checked."""
    headers = auth_header(task.credentials["username"], task.credentials["password"])
    page_url = f"{task.url}/simple/{project}/"
    status, body, _ = http("GET", page_url, headers)
    if status != 200:
        return None, f"page {status}"
    links = loadgen.LINK.findall(body.decode())
    if not links:
        return None, "no links"
    href, sha = links[-1]
    status, data, _ = http("GET", urljoin(page_url, href), headers)
    if status != 200:
        return None, f"download {status}"
    if hashlib.sha256(data).hexdigest() != sha:
        return None, "hash mismatch"
    return href.rsplit("/", 1)[-1], "ok"


def test_upload_through_one_task_is_installable_through_the_other_at_once(pair, tmp_path):
    a, b = pair
    failures = []
    for i in range(200):
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        version = f"1.{i}"
        filename = wheel_name("cross-task", version)
        status = upload(writer, filename, wheel("cross-task", version, payload=os.urandom(256).hex().encode()))
        got, outcome = install(reader, "cross-task")
        if status != 200 or outcome != "ok" or got != filename:
            failures.append((i, status, outcome, got))
    print(f"\n200 rounds, {len(failures)} failures")
    assert failures == [], f"the new version must be installable through the other task at once: {failures[:5]}"
    # And once with real pip: published through a, installed through b right after.
    assert upload(a, wheel_name("cross-task", "2.0"), wheel("cross-task", "2.0")) == 200
    got = pip(b, "install", "--target", str(tmp_path / "site"), "cross-task==2.0")
    assert got.returncode == 0, got.stderr[-400:]


def test_the_same_name_through_both_tasks_at_once_has_exactly_one_winner(pair):
    a, b = pair
    bad = []
    for i in range(100):
        filename = wheel_name("raced-name", f"{i}.0")
        bodies = [wheel("raced-name", f"{i}.0", payload=os.urandom(32 * 1024).hex().encode()) for _ in range(2)]
        statuses: list = [None, None]
        barrier = threading.Barrier(2)

        def send(k: int, task) -> None:
            barrier.wait()
            statuses[k] = upload(task, filename, bodies[k])

        threads = [threading.Thread(target=send, args=(k, t)) for k, t in enumerate((a, b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        stored = (a.packages_dir / filename).read_bytes()
        if sorted(statuses) != [200, 409] or stored != bodies[statuses.index(200)]:
            bad.append((i, statuses))
            continue
        got, outcome = install(b, "raced-name")
        if (got, outcome) != (filename, "ok"):
            bad.append((i, outcome))
    print(f"\n100 rounds, {len(bad)} bad")
    assert bad == [], f"each round: one 200, one 409, the winner's bytes stored and served: {bad[:5]}"


def test_different_files_of_one_project_published_at_once_through_both_tasks_are_all_listed(pair):
    """Each publish reads the project's records, adds its file and writes them back: without
    the lock around that (store.py), concurrent publishes of one project overwrite each
    other's records and accepted files go missing from the page."""
    a, b = pair
    rounds, per_round = 5, 16
    missing = []
    for r in range(rounds):
        project = f"locked-{r}"
        names = [wheel_name(project, f"1.{i}") for i in range(per_round)]
        bodies = [wheel(project, f"1.{i}", payload=os.urandom(64 * 1024).hex().encode()) for i in range(per_round)]
        statuses: list = [None] * per_round
        barrier = threading.Barrier(per_round)

        def send(i: int) -> None:
            barrier.wait()
            statuses[i] = upload((a, b)[i % 2], names[i], bodies[i])

        threads = [threading.Thread(target=send, args=(i,)) for i in range(per_round)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert statuses == [200] * per_round, f"round {r}: every distinct file is accepted: {statuses}"
        for task in (a, b):
            headers = auth_header(task.credentials["username"], task.credentials["password"])
            status, page, _ = http("GET", f"{task.url}/simple/{project}/", headers)
            listed = {href.rsplit("/", 1)[-1] for href, _ in loadgen.LINK.findall(page.decode())}
            missing += [(r, task.port, n) for n in names if n not in listed]
    print(f"\n{rounds} rounds of {per_round} concurrent uploads through two tasks: {len(missing)} files unlisted")
    assert missing == [], f"accepted files missing from the page: {missing[:5]}"


def test_replacing_a_task_during_a_burst_fails_no_install(pair, tmp_path):
    a, b = pair
    projects = [repo_gen.project_name(i, "demo") for i in range(4)]
    creds = (a.credentials["username"], a.credentials["password"])
    balancer = LocalBalancer(tmp_path / "lb", targets=[a.port, b.port]).start()
    replacement: list[LocalTask] = []

    def replace_b() -> None:
        time.sleep(1.5)
        balancer.set_targets([a.port])  # deregistered first, as ECS does before stopping a task
        b.stop()  # graceful: nginx finishes requests in flight
        new = LocalTask(b.spec, a.packages_dir, tmp_path / "task-b2", free_port(), credentials=a.credentials).start()
        replacement.append(new)
        balancer.set_targets([a.port, new.port])

    try:
        swapper = threading.Thread(target=replace_b)
        swapper.start()
        profile = loadgen.Profile(clients=16, max_operations=1_000_000, max_seconds=8, think_seconds=0.01)
        result = asyncio.run(loadgen.run_load(balancer.url, projects, profile, creds, timeout=30))
        swapper.join(60)
        errors = [o.error for o in result.operations if o.error]
        print(f"\n{len(result.operations)} installs through the balancer, {len(errors)} errors: {sorted(set(errors))}")
        assert replacement, "the task must have been replaced during the burst"
        assert len(result.operations) > 200 and errors == []
        new = replacement[0]
        filename = wheel_name("after-replace", "1.0")
        assert upload(new, filename, wheel("after-replace", "1.0")) == 200
        assert install(a, "after-replace") == (filename, "ok"), "the new task publishes for the other one"
    finally:
        balancer.stop()
        for t in replacement:
            t.stop()
