"""What named users cost per request: the same task, side by side in one run, with one user
(the single-credential shape), the default reader + publisher, and many users.

Each variant is the heavy stack's task with `users` set, started locally (tools/local_task);
the same closed-loop load (tools/loadgen: pages and files, authenticated as a reader) runs
against each in turn, in alternating rounds, and the run prints throughput, latency and
nginx's CPU time per 1000 requests. Speed claims come from this output, not from tests.

    python -m tools.auth_cost [--operations 2000] [--clients 8] [--rounds 2] [--many 100]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from commands.engine import stack_config
from components.config import load_config
from tools import repo_gen
from tools.bench import run_phase
from tools.loadgen import summarize
from tools.local_task import LOCAL_REGION, LocalTask, free_port

PROJECTS = 20


def users_json(count: int) -> str:
    if count == 1:
        return json.dumps([{"name": "pypi", "actions": ["download", "list", "update"]}])
    readers = [{"name": f"reader{i}", "actions": ["download", "list"]} for i in range(count - 1)]
    return json.dumps([*readers, {"name": "pypi", "actions": ["download", "list", "update"]}])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--many", type=int, default=100, help="users in the largest variant")
    args = parser.parse_args(argv)
    variants = {"1 user": 1, "2 users (default)": 2, f"{args.many} users": args.many}
    rows: dict[str, list[dict]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(prefix="auth-cost-") as tmp:
        packages = Path(tmp) / "packages"
        repo_gen.generate(packages, PROJECTS, 2, payload_bytes=1024, prefix="demo")
        projects = [repo_gen.project_name(i, "demo") for i in range(PROJECTS)]
        tasks = {}
        try:
            for name, count in variants.items():
                cfg = load_config(stack_config("heavy", {"users": users_json(count)}))
                task = LocalTask(cfg.task_spec(LOCAL_REGION), packages, Path(tmp) / f"run-{count}", free_port()).start()
                tasks[name] = task
            for round_ in range(args.rounds):
                for name, task in tasks.items():
                    # Authenticated as the last reader (the last line of the files), else the publisher.
                    user = (
                        next(u.name for u in reversed(task.spec.users) if not u.publishes)
                        if len(task.spec.users) > 1
                        else task.spec.users[0].name
                    )
                    creds = (task.users[user]["username"], task.users[user]["password"])
                    before = task.cpu_seconds()["nginx"]
                    result = run_phase(task.url, projects, args.clients, args.operations, 120, creds, name, seed=round_)
                    nginx_cpu = task.cpu_seconds()["nginx"] - before
                    summary = summarize(result.operations, result.duration)
                    summary["nginxCpuMsPerRequest"] = round(1000 * nginx_cpu / max(1, summary["operations"]), 3)
                    rows[name].append(summary)
        finally:
            for task in tasks.values():
                task.stop()
    print(
        f"{'variant':<20} {'round':>5} {'ok/ops':>11} {'ops/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'nginx CPU ms/op':>16}"
    )
    for name, summaries in rows.items():
        for i, s in enumerate(summaries):
            print(
                f"{name:<20} {i + 1:>5} {s['succeeded']:>5}/{s['operations']:<5} {s['operationsPerSecond']:>9} "
                f"{1000 * s['p50Seconds']:>8.2f} {1000 * s['p95Seconds']:>8.2f} {s['nginxCpuMsPerRequest']:>16}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
