"""What a refused write costs the task, side by side in one run: a rejected login (wrong
token: nginx's 401) against a reader's write (valid token, no right to publish: 403), each
carrying the same large multipart form field, then many small refused writes for CPU.

Each variant runs against a fresh task (the heavy stack with a reader and a publisher,
started locally), so each peak resident memory (VmHWM of every process of the group: its
largest process) starts from the same idle task. Prints, per variant: status, seconds, the
peak memory of pypiserver's and of nginx's largest process and how much each grew, and
pypiserver's and nginx's CPU milliseconds per refused request.

    python -m tools.refusal_cost [--field-mib 200] [--small 20] [--output results/refusal-cost.json]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from commands.engine import stack_config
from components.config import load_config
from tools.local_task import LOCAL_REGION, LocalTask, free_port, group_peak_rss_kib

USERS = json.dumps(
    [{"name": "ci", "actions": ["download", "list"]}, {"name": "release", "actions": ["download", "list", "update"]}]
)
BOUNDARY = "refusal-cost-boundary"
CHUNK = 1 << 20


def form_field_body(mib: int) -> tuple[Iterator[bytes], int]:
    """A multipart body whose one form field (not a file) holds `mib` MiB, streamed."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name=":action"\r\n\r\nfile_upload\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="comment"\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    size = len(head) + mib * CHUNK + len(tail)

    def chunks() -> Iterator[bytes]:
        yield head
        block = b"a" * CHUNK
        for _ in range(mib):
            yield block
        yield tail

    return chunks(), size


def post(port: int, user: str, password: str, body: Iterator[bytes] | bytes, size: int) -> tuple[int, float]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(size),
    }
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        status = conn.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        status = 0  # the server closed before the body was sent
    finally:
        conn.close()
    return status, time.monotonic() - started


def start(tmp: Path, name: str) -> LocalTask:
    spec = load_config(stack_config("heavy", {"users": USERS})).task_spec(LOCAL_REGION)
    task = LocalTask(spec, tmp / "packages", tmp / name, free_port()).start()
    time.sleep(1)  # workers booted and idle
    return task


def measure(task: LocalTask, user: str, password: str, mib: int, small: int) -> dict:
    groups = {"pypiserver": task._pypiserver, "nginx": task._nginx}
    pids = {k: p.pid for k, p in groups.items() if p is not None}
    before = {k: group_peak_rss_kib(pid) for k, pid in pids.items()}
    body, size = form_field_body(mib)
    status, seconds = post(task.port, user, password, body, size)
    after = {k: group_peak_rss_kib(pid) for k, pid in pids.items()}
    cpu_before = task.cpu_seconds()
    small_body = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name=":action"\r\n\r\nyank\r\n--{BOUNDARY}--\r\n'
    statuses = {post(task.port, user, password, small_body.encode(), len(small_body))[0] for _ in range(small)}
    cpu_after = task.cpu_seconds()
    return {
        "status": status,
        "seconds": round(seconds, 2),
        "smallStatuses": sorted(statuses),
        **{f"{k}PeakMiB": round(after[k] / 1024, 1) for k in pids},
        **{f"{k}GrowthMiB": round((after[k] - before[k]) / 1024, 1) for k in pids},
        **{f"{k}CpuMsPerRefusal": round(1000 * (cpu_after[k] - cpu_before[k]) / small, 2) for k in pids},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--field-mib", type=int, default=200)
    parser.add_argument("--small", type=int, default=20, help="small refused writes, for CPU per refusal")
    parser.add_argument("--output", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="refusal-cost-") as tmp:
        for name, wrong in (("rejected login (401)", True), ("reader's write (403)", False)):
            task = start(Path(tmp), name.split()[0] + ("-wrong" if wrong else ""))
            try:
                reader = task.users["ci"]
                password = reader["password"] + ("x" if wrong else "")
                rows[name] = measure(task, reader["username"], password, args.field_mib, args.small)
            finally:
                task.stop()
    print(json.dumps(rows, indent=2))
    if args.output:
        args.output.write_text(
            json.dumps({"fieldMiB": args.field_mib, "small": args.small, "rows": rows}, indent=2) + "\n"
        )
    print(
        f"\n{args.field_mib} MiB form field   status  seconds  pypiserver peak/growth MiB  nginx peak/growth MiB"
        "  CPU ms per small refusal (pypiserver, nginx)"
    )
    for name, r in rows.items():
        print(
            f"{name:<26} {r['status']:>6} {r['seconds']:>8} {r['pypiserverPeakMiB']:>14}/{r['pypiserverGrowthMiB']:<12}"
            f" {r['nginxPeakMiB']:>10}/{r['nginxGrowthMiB']:<10} {r['pypiserverCpuMsPerRefusal']:>10}, "
            f"{r['nginxCpuMsPerRefusal']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
