"""The local balancer as the ALB's stand-in for draining, and a task replaced behind it while
large uploads are in flight through it: nothing is cut, reads never fail, and the stop takes
no longer than the longest upload in flight.

The timing of each layer (deregistration delay, nginx's graceful stop, gunicorn's, the
agent's stop timeout) is checked on the rendered values in tests/task/test_timing.py; here the
real processes show the sequence works: deregister, drain, stop.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time

import pytest

from task.timing import DEREGISTRATION_DELAY_SECONDS, STOP_TIMEOUT_SECONDS
from tests.support.index_support import wheel, wheel_name
from tests.support.local_run_support import http, start_task, throttled_upload
from tools import loadgen, repo_gen
from tools.bench import installable
from tools.local_lb import LocalBalancer, connections_to
from tools.local_task import LocalTask, free_port

MIB = 1 << 20
# (size in MiB, seconds the client takes to send it): 50-200 MiB uploads, throttled so they stay
# in flight for seconds without pushing GiBs through a shared machine.
UPLOADS = ((50, 6.0), (100, 7.0), (150, 8.0), (200, 9.0))
# What the host adds around the uploads' own end (the last publish: hashing 200 MiB, linking).
STOP_SLACK_SECONDS = 8.0


@pytest.fixture
def tasks(tmp_path):
    a = start_task(tmp_path / "a", projects=4)
    b = None
    try:
        # Same folder, same credentials (one secret per service), its own ports and files.
        b = LocalTask(a.spec, a.packages_dir, tmp_path / "b", free_port(), credentials=a.credentials).start()
        yield a, b
    finally:
        a.stop()
        if b is not None:
            b.stop()


def test_an_idle_target_deregisters_at_once(tasks, tmp_path):
    # "If a deregistering target has no in-flight requests and no active connections, Elastic
    # Load Balancing immediately completes the deregistration process" (ELB user guide).
    a, b = tasks
    with LocalBalancer(tmp_path / "lb", targets=[a.port, b.port]) as balancer:
        assert http("GET", balancer.url + "/health")[0] == 200
        took = balancer.deregister(b.port)
        print(f"\nidle target deregistered in {took:.2f} s (delay {DEREGISTRATION_DELAY_SECONDS} s)")
        assert took < 5, "reads must not wait for the deregistration delay"
        statuses = {http("GET", balancer.url + "/health")[0] for _ in range(20)}
        assert statuses == {200} and connections_to(b.port) == 0, "no request reaches a deregistered target"


def test_a_replaced_task_cuts_no_upload_and_no_read(tasks, tmp_path):
    a, b = tasks
    files = []
    for i, (size, seconds) in enumerate(UPLOADS):
        name = wheel_name("big-upload", f"1.{i}")
        path = tmp_path / name
        path.write_bytes(wheel("big-upload", f"1.{i}", payload=b"x" * (size * MIB)))
        files.append((name, path, path.stat().st_size / seconds))
    sha = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path, _ in files}
    projects = [repo_gen.project_name(i, "demo") for i in range(4)]
    creds = (a.credentials["username"], a.credentials["password"])
    results: dict[str, tuple[int, float, float]] = {}
    timeline: dict[str, float] = {}
    balancer = LocalBalancer(tmp_path / "lb", targets=[b.port]).start()

    def send(name, path, rate) -> None:
        results[name] = throttled_upload(balancer.url, a.credentials, name, path, rate)

    def replace_b() -> None:
        # The uploads are in flight through b; a (the replacement) registers, then b is
        # deregistered, drained and stopped, as ECS replaces a task.
        deadline = time.monotonic() + 10
        while connections_to(b.port) < len(files) and time.monotonic() < deadline:
            time.sleep(0.05)
        balancer.set_targets([b.port, a.port])
        time.sleep(1.0)
        timeline["deregistered"] = time.monotonic()
        timeline["drain"] = balancer.deregister(b.port)
        b.stop(grace=STOP_TIMEOUT_SECONDS)
        timeline["stopped"] = time.monotonic()

    uploaders = [threading.Thread(target=send, args=f) for f in files]
    swapper = threading.Thread(target=replace_b)
    try:
        for t in uploaders:
            t.start()
        swapper.start()
        profile = loadgen.Profile(clients=8, max_operations=1_000_000, max_seconds=16, think_seconds=0.02)
        reads = asyncio.run(loadgen.run_load(balancer.url, projects, profile, creds, timeout=30))
        for t in [*uploaders, swapper]:
            t.join(120)
    finally:
        balancer.stop()
    errors = [o.error for o in reads.operations if o.error]
    last_upload = max(end for _, _, end in results.values())
    stop_seconds = timeline["stopped"] - timeline["deregistered"]
    in_flight = last_upload - timeline["deregistered"]
    print(
        f"\n{len(files)} uploads ({', '.join(f'{s} MiB' for s, _ in UPLOADS)}): "
        + ", ".join(f"{n.split('-')[1]} {st} in {end - start:.1f} s" for n, (st, start, end) in sorted(results.items()))
        + f"\nderegistration took {timeline['drain']:.1f} s, the stop {stop_seconds:.1f} s after it began; "
        f"the last upload in flight ended {in_flight:.1f} s after it began"
        f"\n{len(reads.operations)} installs through the balancer, {len(errors)} errors: {sorted(set(errors))}"
    )
    assert {name: status for name, (status, _, _) in results.items()} == {name: 200 for name, _, _ in files}
    for name, _, _ in files:
        assert installable(a, "big-upload", name, creds), f"{name} must be listed and served with its sha256"
        assert (a.packages_dir / name).stat().st_size == (tmp_path / name).stat().st_size
        assert hashlib.sha256((a.packages_dir / name).read_bytes()).hexdigest() == sha[name]
    assert len(reads.operations) > 100 and errors == [], "reads keep working through the replacement"
    assert timeline["drain"] < DEREGISTRATION_DELAY_SECONDS, "the drain ended with the uploads, not by timing out"
    assert stop_seconds <= in_flight + STOP_SLACK_SECONDS, "the stop takes no longer than the longest upload"
