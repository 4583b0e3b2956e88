"""`make bench`: the guide's design vs our task vs the static limit, side by side in one run.

Same generated repository (500 packages x 4 versions, real wheels), same client (tools/
loadgen.py: pip-like install = page + download with sha256 check), same burst of 510
concurrent clients, one server at a time on this machine:

1. guide: the task with the front off, i.e. pypiserver as the Terraform module runs it
   (simple-dir, 4 gevent workers, bcrypt auth on download, list and update);
2. ours: the rendered task (nginx front + pypiserver, auth on everything), started fresh:
   the first 3000 installs are the cold-cache phase, the rest the warm phase;
3. static: nginx serving the same pages and files as static files, no auth (the limit of
   this machine and client).

Prints a table and the ratios, writes JSON (default results/bench.json) and a PNG of the
latency distributions next to it. Other engineers share this machine's cores: the JSON
records the load average before each run so noisy numbers can be recognised.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from components import task_design as td
from components.config import ConfigError, PypiServerConfig, load_config
from offline.cli import ArgumentParser, fail
from offline.engine import EngineError, stack_config
from tools import loadgen, plots, repo_gen
from tools.local_task import LocalRunError, LocalTask, free_port
from tools.static_limit import StaticServer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLIENT_TIMEOUT_SECONDS = 300  # the guide's design answers a burst in tens of seconds

TARGETS = {
    "throughput vs guide >= 100x": ("ratioToGuide", ">=", 100.0),
    "throughput vs static >= 70 %": ("ratioToStatic", ">=", 0.70),
}


def task_spec_for(cfg: PypiServerConfig) -> td.TaskSpec:
    """The spec the component renders for this config (log group and ARN do not matter here)."""
    from components.service import task_spec  # the component's own mapping, not a copy

    return task_spec(cfg, region="us-east-1")


def load_stack(stack: str, front: bool) -> PypiServerConfig:
    return load_config(stack_config(stack, {"frontEnabled": "true" if front else "false"}))


def run_phase(url: str, projects: list[str], clients: int, operations: int, max_seconds: float,
              auth: loadgen.Credentials | None, label: str, seed: int) -> loadgen.LoadResult:
    profile = loadgen.Profile(clients=clients, max_operations=operations, max_seconds=max_seconds)
    return asyncio.run(loadgen.run_load(url, projects, profile, auth, timeout=CLIENT_TIMEOUT_SECONDS, seed=seed,
                                        progress=sys.stderr.isatty(), label=f"{label:<12}"))


def percentiles_table(latencies: list[float]) -> list[float]:
    """P1..P100 (101 points with P0 = min), compact enough to commit, enough to redraw a CDF."""
    return [round(loadgen.percentile(latencies, q) if q else min(latencies, default=0.0), 4) for q in range(101)]


def record(name: str, result: loadgen.LoadResult, extra: dict) -> dict:
    summary = loadgen.summarize(result.operations, result.duration)
    return {"name": name, **extra, "clients": result.clients, **summary,
            "latencyPercentiles": percentiles_table([o.latency for o in result.operations])}


def parse_cpus(text: str | None) -> frozenset[int] | None:
    """'0' or '0,1' -> CPUs for the servers; the client is pinned to the rest."""
    if text is None:
        return None
    available = os.sched_getaffinity(0)
    try:
        cpus = frozenset(int(c) for c in text.split(","))
    except ValueError:
        fail(f"--server-cpus {text!r}: expected CPU numbers like 0 or 0,1")
    if not cpus <= available or cpus == available:
        fail(f"--server-cpus {text!r}: choose some, not all, of the CPUs {sorted(available)} (the client needs one)")
    os.sched_setaffinity(0, available - cpus)  # this process runs the client
    return cpus


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def print_table(runs: list[dict]) -> None:
    header = f"{'run':<14}{'installs':>9}{'inst/s':>10}{'P50 s':>9}{'P95 s':>9}{'P99 s':>9}{'max s':>9}{'errors':>8}"
    print(header)
    print("-" * len(header))
    for r in runs:
        print(f"{r['name']:<14}{r['operations']:>9}{r['operationsPerSecond']:>10.1f}{r['p50Seconds']:>9.3f}"
              f"{r['p95Seconds']:>9.3f}{r['p99Seconds']:>9.3f}{r['maxSeconds']:>9.3f}{r['errors']:>8}")


def evaluate(by_name: dict[str, dict]) -> tuple[dict, dict]:
    warm, cold = by_name["ours-warm"], by_name["ours-cold"]
    ratios = {}
    if "guide" in by_name:
        ratios["ratioToGuide"] = round(warm["operationsPerSecond"] / by_name["guide"]["operationsPerSecond"], 1)
    if "static" in by_name:
        ratios["ratioToStatic"] = round(warm["operationsPerSecond"] / by_name["static"]["operationsPerSecond"], 3)
    checks = {}
    for name, (key, _, limit) in TARGETS.items():
        if key in ratios:
            checks[name] = {"measured": ratios[key], "limit": limit, "pass": ratios[key] >= limit}
    for phase, summary, criteria in (("warm", warm, loadgen.OUR_CRITERIA), ("cold", cold, loadgen.OUR_COLD_CRITERIA)):
        for name, check in loadgen.verdict(summary, criteria)["checks"].items():
            checks[f"{phase}: {name}"] = check
    return ratios, checks


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="heavy", help="stack whose task is benchmarked (default heavy)")
    parser.add_argument("--clients", type=int, default=510, help="concurrent clients (default 510)")
    parser.add_argument("--cold", type=int, default=3000, help="installs in the cold-cache phase (default 3000)")
    parser.add_argument("--warm", type=int, default=30000, help="installs in the warm phase (default 30000)")
    parser.add_argument("--static", type=int, default=30000, help="installs against the static limit (default 30000)")
    parser.add_argument("--guide", type=int, default=1020,
                        help="installs against the guide's design (default 1020: 2 per client; 0 skips it)")
    parser.add_argument("--max-seconds", type=float, default=300, help="time bound per run (default 300)")
    parser.add_argument("--server-cpus", help="pin the servers to these CPUs, e.g. '0' (a one-vCPU machine); "
                        "the client gets the others")
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--versions", type=int, default=4)
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "results" / "bench.json")
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / "results" / "tmp" / "bench",
                        help="generated repository and server files (its subfolders are replaced)")
    args = parser.parse_args(argv)
    for key in ("clients", "cold", "warm", "static", "packages", "versions"):
        if getattr(args, key) < 1:
            fail(f"--{key} must be at least 1, got {getattr(args, key)}")
    if args.guide < 0 or args.max_seconds <= 0:
        fail("--guide must be 0 or more and --max-seconds positive")
    server_cpus = parse_cpus(args.server_cpus)
    try:
        ours_cfg, guide_cfg = load_stack(args.stack, True), load_stack(args.stack, False)
    except (EngineError, ConfigError) as err:
        fail(str(err))

    workdir = args.workdir
    for sub in ("packages", "static", "ours", "guide"):  # only what this tool writes
        shutil.rmtree(workdir / sub, ignore_errors=True)
    packages = workdir / "packages"
    started = time.time()
    wheels = repo_gen.generate(packages, args.packages, args.versions)
    projects = sorted({w.project for w in wheels})
    print(f"repository: {len(wheels)} wheels ({args.packages} x {args.versions}) in {packages}")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average()} (shared with other work); servers on "
          f"{'CPUs ' + ','.join(map(str, sorted(server_cpus))) if server_cpus else 'all CPUs, with the client'}")

    runs: list[dict] = []
    latencies: dict[str, list[float]] = {}

    def keep(name: str, result: loadgen.LoadResult, extra: dict) -> None:
        runs.append(record(name, result, extra))
        latencies[name] = [o.latency for o in result.operations]

    try:
        with StaticServer(packages, workdir / "static", free_port(), server_cpus) as static:
            run_phase(static.url, projects, 50, 500, 60, None, "static warmup", seed=0)  # page cache, not recorded
            load = load_average()
            keep("static", run_phase(static.url, projects, args.clients, args.static, args.max_seconds, None,
                                     "static", seed=1), {"loadAverageBefore": load, "auth": False})

        ours_spec = task_spec_for(ours_cfg)
        with LocalTask(ours_spec, packages, workdir / "ours", free_port(), cpus=server_cpus) as ours:
            auth = (ours.credentials["username"], ours.credentials["password"])
            load = load_average()
            keep("ours-cold", run_phase(ours.url, projects, args.clients, args.cold, args.max_seconds, auth,
                                        "ours cold", seed=2), {"loadAverageBefore": load, "auth": True})
            load, cpu_before = load_average(), ours.cpu_seconds()
            warm = run_phase(ours.url, projects, args.clients, args.warm, args.max_seconds, auth, "ours warm", seed=3)
            cpu = {name: round((used - cpu_before[name]) / warm.duration, 3)
                   for name, used in ours.cpu_seconds().items()}
            keep("ours-warm", warm, {"loadAverageBefore": load, "auth": True, "cpuPerSecond": cpu})

        if args.guide:
            with LocalTask(task_spec_for(guide_cfg), packages, workdir / "guide", free_port(),
                           cpus=server_cpus) as guide:
                auth = (guide.credentials["username"], guide.credentials["password"])
                load = load_average()
                keep("guide", run_phase(guide.url, projects, args.clients, args.guide, args.max_seconds, auth,
                                        "guide", seed=4), {"loadAverageBefore": load, "auth": True})
    except LocalRunError as err:
        fail(str(err))
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130

    by_name = {r["name"]: r for r in runs}
    ratios, checks = evaluate(by_name)
    print()
    print_table(runs)
    print()
    for key, value in ratios.items():
        print(f"{key}: {value}")
    cpu = by_name["ours-warm"]["cpuPerSecond"]
    print(f"our task's CPU in the warm phase (cores busy): nginx {cpu['nginx']}, pypiserver {cpu['pypiserver']}")
    for name, check in checks.items():
        print(f"  [{'PASS' if check['pass'] else 'FAIL'}] {name}: measured {check['measured']} (limit {check['limit']})")

    document = {
        "generatedAt": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "durationSeconds": round(time.time() - started, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "serverCpus": sorted(server_cpus) if server_cpus else "all (shared with the client)"},
        "stack": args.stack,
        "repository": {"packages": args.packages, "versionsPerPackage": args.versions, "wheels": len(wheels)},
        "client": {"concurrency": args.clients, "operation": "GET /simple/<project>/ then GET the newest file, "
                   "sha256 checked", "timeoutSeconds": CLIENT_TIMEOUT_SECONDS},
        "designs": {
            "guide": {"frontEnabled": False, "pypiserverArgs": td.pypiserver_args(task_spec_for(guide_cfg)),
                      "gunicorn": td.gunicorn_config(task_spec_for(guide_cfg))},
            "ours": {"frontEnabled": True, "pypiserverArgs": td.pypiserver_args(ours_spec),
                     "outOfBandBoundSeconds": td.OUT_OF_BAND_BOUND_SECONDS},
            "static": {"description": "nginx, static pages and files, no auth"},
        },
        "runs": runs,
        "ratios": ratios,
        "targets": checks,
        "allTargetsMet": all(c["pass"] for c in checks.values()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=1) + "\n")
    png = plots.latency_distributions(latencies, args.output.with_suffix(".png"),
                                      f"Burst of {args.clients} clients, {args.packages}x{args.versions} wheels",
                                      marks={"0.5 s": 0.5, "3 s": 3.0, "15 s": 15.0})
    print(f"\nwrote {args.output.relative_to(PROJECT_ROOT) if args.output.is_relative_to(PROJECT_ROOT) else args.output}"
          f" and {png.name}")
    return 0 if document["allTargetsMet"] else 1


if __name__ == "__main__":
    sys.exit(main())
