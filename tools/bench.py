"""`make bench`: the guide's design vs our task vs the static limit, side by side, at three
repository sizes in one run.

For each size (default 2,000, 20,000 and 100,000 files: a quarter as many projects, 4 real
wheels each), one server at a time on this machine, the same client (tools/loadgen.py: a
pip-like install = page + download with sha256 check, spread over every project), 510
concurrent clients, auth on download, list and update:

1. static: nginx serving the same pages and files as static files, no auth (the limit of
   this machine and client);
2. ours: the rendered task (nginx front + pypiserver), started on the existing folder: the
   first pass over it (its duration, what clients asking for existing projects got meanwhile:
   never a 404, and the pass killed half-way and resumed), a first burst over every project,
   a warm phase, the task's CPU when idle, and upload-to-installable through a second task on
   the same folder (tools/first_pass.py for the first pass; `--first-pass-only` runs just it);
3. guide: the task with the front off, i.e. pypiserver as the Terraform module runs it
   (at the sizes up to --guide-max-files; it walks the whole folder on every request).

Prints a table per size and how throughput and latency change with size, writes JSON
(default results/bench.json) and a PNG next to it. Other engineers share this machine's
cores: the JSON records the load average before each run so noisy numbers can be recognised.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import platform
import shutil
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import aiohttp

from commands.cli import ArgumentParser, fail
from commands.engine import EngineError, stack_config
from components.config import ConfigError, PypiServerConfig, load_config
from task.pypiserver_process import gunicorn_config, pypiserver_args
from task.spec import OUT_OF_BAND_BOUND_SECONDS
from tools import first_pass, loadgen, plots, repo_gen
from tools.local_task import LOCAL_REGION, LocalRunError, LocalTask, free_port
from tools.static_limit import StaticServer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLIENT_TIMEOUT_SECONDS = 300  # the guide's design answers a burst in tens of seconds
VERSIONS = 4

# The targets (our 2-core machines).
WARM_P95_SECONDS = 0.5
FIRST_PASS_P95_SECONDS = 1.0
THROUGHPUT_KEPT_AT_LARGEST = 0.90
UPLOAD_TO_INSTALLABLE_SECONDS = 1.0
IDLE_CPU_FRACTION = 0.01


def load_stack(stack: str, front: bool) -> PypiServerConfig:
    return load_config(stack_config(stack, {"frontEnabled": "true" if front else "false"}))


def run_phase(
    url: str,
    projects: list[str],
    clients: int,
    operations: int,
    max_seconds: float,
    auth: loadgen.Credentials | None,
    label: str,
    seed: int,
    each_once: bool = False,
) -> loadgen.LoadResult:
    profile = loadgen.Profile(clients=clients, max_operations=operations, max_seconds=max_seconds, each_once=each_once)
    return asyncio.run(
        loadgen.run_load(
            url,
            projects,
            profile,
            auth,
            timeout=CLIENT_TIMEOUT_SECONDS,
            seed=seed,
            progress=sys.stderr.isatty(),
            label=f"{label:<16}",
        )
    )


def percentiles_table(latencies: list[float]) -> list[float]:
    """P1..P100 (101 points with P0 = min), compact enough to commit, enough to redraw a CDF."""
    return [round(loadgen.percentile(latencies, q) if q else min(latencies, default=0.0), 4) for q in range(101)]


def record(name: str, result: loadgen.LoadResult, extra: dict) -> dict:
    summary = loadgen.summarize(result.operations, result.duration)
    return {
        "name": name,
        **extra,
        "clients": result.clients,
        **summary,
        "latencyPercentiles": percentiles_table([o.latency for o in result.operations]),
    }


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


def folder_bytes(path: Path) -> int:
    with os.scandir(path) as entries:
        return sum(e.stat().st_size for e in entries if e.is_file(follow_symlinks=False))


def http_get(url: str, auth: loadgen.Credentials, timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=loadgen.basic_auth_headers(auth))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def installable(task: LocalTask, project: str, filename: str, auth: loadgen.Credentials) -> bool:
    """One pip-like install of `filename` through `task`: listed, downloaded, hash matches."""
    page_url = f"{task.url}/simple/{project}/"
    status, body = http_get(page_url, auth)
    links = {href.rsplit("/", 1)[-1]: (href, sha) for href, sha in loadgen.LINK.findall(body.decode())}
    if status != 200 or filename not in links:
        return False
    href, sha = links[filename]
    status, data = http_get(urljoin(page_url, href), auth)
    return status == 200 and hashlib.sha256(data).hexdigest() == sha


def upload_to_installable(
    writer: LocalTask, reader: LocalTask, auth: loadgen.Credentials, samples: int, files: int
) -> dict:
    """Seconds from an upload's start through `writer` until it is installed through `reader`."""
    seconds, failures = [], 0
    for i in range(samples):
        filename, content = loadgen.throwaway_wheel(f"bench-fresh-{files}", f"1.0.{i}")
        client = loadgen.Client(writer.url, auth, 60)
        start = time.perf_counter()

        async def send():
            async with aiohttp.ClientSession() as session:
                return await client.upload(session, filename, content, start)

        op = asyncio.run(send())
        deadline = time.perf_counter() + 30
        while not installable(reader, f"bench-fresh-{files}", filename, auth):
            if time.perf_counter() > deadline:
                failures += 1
                break
            time.sleep(0.01)
        else:
            seconds.append(time.perf_counter() - start)
        if op.error:
            failures += 1
    return {
        "samples": samples,
        "failures": failures,
        "maxSeconds": round(max(seconds, default=0.0), 4),
        "p50Seconds": round(loadgen.percentile(seconds, 50), 4),
    }


def wait_indexed(task: LocalTask, projects: int, auth: loadgen.Credentials, timeout: float = 1800) -> float:
    """Seconds until the task's project list names every project (its first scan is done)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        status, body = http_get(task.url + "/simple/", auth)
        if status == 200 and body.count(b"<a ") >= projects:
            return time.perf_counter() - start
        time.sleep(0.2)
    raise LocalRunError(f"the index was not built within {timeout:.0f} s")


def idle_cpu(task: LocalTask, seconds: float) -> dict[str, float]:
    """Fraction of one CPU each container's processes used while nothing was asked of them."""
    before = task.cpu_seconds()
    time.sleep(seconds)
    after = task.cpu_seconds()
    return {name: round((after[name] - before[name]) / seconds, 4) for name in after}


def print_size_table(files: int, runs: list[dict]) -> None:
    print(f"\n{files} files:")
    header = f"  {'run':<14}{'installs':>9}{'inst/s':>10}{'P50 s':>9}{'P95 s':>9}{'P99 s':>9}{'max s':>9}{'errors':>8}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for r in runs:
        print(
            f"  {r['name']:<14}{r['operations']:>9}{r['operationsPerSecond']:>10.1f}{r['p50Seconds']:>9.3f}"
            f"{r['p95Seconds']:>9.3f}{r['p99Seconds']:>9.3f}{r['maxSeconds']:>9.3f}{r['errors']:>8}"
        )


def growth(runs: list[dict], sizes: list[int]) -> dict[str, dict[str, float]]:
    """Throughput at each size as a fraction of the same design's at the smallest size."""
    table: dict[str, dict[str, float]] = {}
    for name in ("static", "ours-warm", "guide"):
        by_size = {r["files"]: r["operationsPerSecond"] for r in runs if r["name"] == name}
        if sizes[0] in by_size and by_size[sizes[0]]:
            table[name] = {str(f): round(by_size[f] / by_size[sizes[0]], 3) for f in sizes if f in by_size}
    return table


def evaluate(runs: list[dict], extras: dict[int, dict], sizes: list[int]) -> tuple[dict, dict]:
    """Ratios between designs at each size, and the issue's targets, each with its value."""

    def run(name: str, files: int) -> dict | None:
        return next((r for r in runs if r["name"] == name and r["files"] == files), None)

    ratios: dict[str, float] = {}
    checks: dict[str, dict] = {}

    def check(name: str, measured: float, op: str, limit: float) -> None:
        ok = measured <= limit if op == "<=" else measured >= limit
        checks[name] = {"measured": measured, "limit": limit, "pass": ok}

    for files in sizes:
        warm, first = run("ours-warm", files), run("ours-first-pass", files)
        for other in ("static", "guide"):
            o = run(other, files)
            if warm and o and o["operationsPerSecond"]:
                ratios[f"{files}: ours / {other}"] = round(warm["operationsPerSecond"] / o["operationsPerSecond"], 3)
        if warm:
            check(f"{files}: warm P95 <= {WARM_P95_SECONDS} s", warm["p95Seconds"], "<=", WARM_P95_SECONDS)
            check(f"{files}: warm errors = 0", warm["errors"], "<=", 0)
        if first:
            check(
                f"{files}: first pass P95 <= {FIRST_PASS_P95_SECONDS} s",
                first["p95Seconds"],
                "<=",
                FIRST_PASS_P95_SECONDS,
            )
            check(f"{files}: first pass errors = 0", first["errors"], "<=", 0)
    smallest, largest = run("ours-warm", sizes[0]), run("ours-warm", sizes[-1])
    if smallest and largest and len(sizes) > 1:
        kept = round(largest["operationsPerSecond"] / smallest["operationsPerSecond"], 3)
        check(
            f"throughput at {sizes[-1]} >= {THROUGHPUT_KEPT_AT_LARGEST:.0%} of at {sizes[0]}",
            kept,
            ">=",
            THROUGHPUT_KEPT_AT_LARGEST,
        )
    big = extras.get(sizes[-1], {})
    if "uploadToInstallable" in big:
        u = big["uploadToInstallable"]
        check(
            f"{sizes[-1]}: upload-to-installable through the other task <= {UPLOAD_TO_INSTALLABLE_SECONDS} s",
            u["maxSeconds"],
            "<=",
            UPLOAD_TO_INSTALLABLE_SECONDS,
        )
        check(f"{sizes[-1]}: upload-to-installable failures = 0", u["failures"], "<=", 0)
    if "idleCpu" in big:
        check(
            f"{sizes[-1]}: idle CPU of a task <= {IDLE_CPU_FRACTION:.0%} of a CPU",
            round(sum(big["idleCpu"].values()), 4),
            "<=",
            IDLE_CPU_FRACTION,
        )
    return ratios, checks


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(x) for x in text.split(",")})
    except ValueError:
        fail(f"--sizes {text!r}: expected file counts like 2000,20000,100000")
    if not sizes or sizes[0] < VERSIONS:
        fail(f"--sizes {text!r}: each size must be at least {VERSIONS} files")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="heavy", help="stack whose task is benchmarked (default heavy)")
    parser.add_argument(
        "--sizes",
        default="2000,20000,100000",
        help=f"repository sizes in files (default 2000,20000,100000; {VERSIONS} wheels per project)",
    )
    parser.add_argument("--clients", type=int, default=510, help="concurrent clients (default 510)")
    parser.add_argument("--warm", type=int, default=20000, help="installs in our warm phase (default 20000)")
    parser.add_argument("--static", type=int, default=20000, help="installs against the static limit (default 20000)")
    parser.add_argument(
        "--guide",
        type=int,
        default=1020,
        help="installs against the guide's design (default 1020: 2 per client; 0 skips it)",
    )
    parser.add_argument(
        "--guide-max-files", type=int, default=20000, help="run the guide's design only up to this size (default 20000)"
    )
    parser.add_argument("--max-seconds", type=float, default=180, help="time bound per run (default 180)")
    parser.add_argument("--idle-seconds", type=float, default=20, help="idle CPU measured over (default 20)")
    parser.add_argument("--upload-samples", type=int, default=20, help="upload-to-installable samples (default 20)")
    parser.add_argument("--payload-bytes", type=int, default=1024, help="filler per wheel (default 1024)")
    parser.add_argument(
        "--server-cpus", help="pin the servers to these CPUs, e.g. '0' (a one-vCPU machine); the client gets the others"
    )
    parser.add_argument(
        "--first-pass-only", action="store_true", help="measure only the first pass over each size, and its resumption"
    )
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "results" / "bench.json")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=PROJECT_ROOT / "results" / "tmp" / "bench",
        help="generated repositories and server files (its subfolders are replaced)",
    )
    args = parser.parse_args(argv)
    for key in ("clients", "warm", "static", "upload_samples"):
        if getattr(args, key) < 1:
            fail(f"--{key.replace('_', '-')} must be at least 1, got {getattr(args, key)}")
    if args.guide < 0 or args.max_seconds <= 0 or args.idle_seconds <= 0 or args.payload_bytes < 0:
        fail("--guide and --payload-bytes must be 0 or more, --max-seconds and --idle-seconds positive")
    sizes = parse_sizes(args.sizes)
    server_cpus = parse_cpus(args.server_cpus)
    try:
        ours_cfg, guide_cfg = load_stack(args.stack, True), load_stack(args.stack, False)
    except (EngineError, ConfigError) as err:
        fail(str(err))
    ours_spec, guide_spec = ours_cfg.task_spec(LOCAL_REGION), guide_cfg.task_spec(LOCAL_REGION)

    started = time.time()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_average()} (shared with other work); servers on "
        f"{'CPUs ' + ','.join(map(str, sorted(server_cpus))) if server_cpus else 'all CPUs, with the client'}"
    )
    runs: list[dict] = []
    extras: dict[int, dict] = {}
    latencies: dict[str, list[float]] = {}

    def keep(name: str, files: int, result: loadgen.LoadResult, extra: dict) -> None:
        runs.append(record(name, result, {"files": files, **extra}))
        latencies[f"{name} @ {files}"] = [o.latency for o in result.operations]

    try:
        for files in sizes:
            workdir = args.workdir / str(files)
            shutil.rmtree(workdir, ignore_errors=True)
            packages = workdir / "packages"
            wheels = repo_gen.generate(packages, files // VERSIONS, VERSIONS, args.payload_bytes)
            projects = sorted({w.project for w in wheels})
            size = {"files": len(wheels), "projects": len(projects), "bytes": folder_bytes(packages)}
            print(
                f"\nrepository: {len(wheels)} wheels ({len(projects)} projects x {VERSIONS}), "
                f"{size['bytes'] / 2**20:.0f} MiB, in {packages}"
            )

            first = first_pass.measure(ours_spec, packages, projects, workdir, server_cpus)
            extras[files] = {"repository": size, "firstPass": first}
            print(
                f"  first pass over the folder: {first['passSeconds']} s; meanwhile {first['requestsDuringPass']} page "
                f"requests for existing projects, {first['notFoundForExistingProjects']} answered 404 "
                f"(by status: {first['byStatus']}); "
                + (
                    f"killed with {first['resumed']['projectsRecordedWhenKilled']} projects recorded, the restart "
                    f"completed it in {first['resumed']['resumedPassSeconds']} s"
                    if first["resumed"]["projectsRecordedWhenKilled"] is not None
                    else "too short to be killed half-way"
                )
            )
            if args.first_pass_only:
                continue
            with StaticServer(packages, workdir / "static", free_port(), server_cpus) as static:
                run_phase(static.url, projects, 50, 500, 60, None, f"static warmup {files}", seed=0)
                load = load_average()
                keep(
                    "static",
                    files,
                    run_phase(
                        static.url,
                        projects,
                        args.clients,
                        args.static,
                        args.max_seconds,
                        None,
                        f"static {files}",
                        seed=1,
                    ),
                    {"loadAverageBefore": load, "auth": False},
                )

            ours = LocalTask(ours_spec, packages, workdir / "ours", free_port(), cpus=server_cpus)
            other = None
            try:
                ours.start()
                auth = (ours.credentials["username"], ours.credentials["password"])
                build = wait_indexed(ours, len(projects), auth)
                print(f"  index built from the folder in {build:.1f} s")
                load = load_average()
                keep(
                    "ours-first-pass",
                    files,
                    run_phase(
                        ours.url,
                        projects,
                        args.clients,
                        len(projects),
                        args.max_seconds,
                        auth,
                        f"ours first {files}",
                        seed=2,
                        each_once=True,
                    ),
                    {"loadAverageBefore": load, "auth": True},
                )
                load, cpu_before = load_average(), ours.cpu_seconds()
                warm = run_phase(
                    ours.url, projects, args.clients, args.warm, args.max_seconds, auth, f"ours warm {files}", seed=3
                )
                cpu = {
                    name: round((used - cpu_before[name]) / warm.duration, 3)
                    for name, used in ours.cpu_seconds().items()
                }
                keep("ours-warm", files, warm, {"loadAverageBefore": load, "auth": True, "cpuPerSecond": cpu})
                idle = idle_cpu(ours, args.idle_seconds)
                other = LocalTask(
                    ours_spec, packages, workdir / "ours-2", free_port(), cpus=server_cpus, credentials=ours.credentials
                ).start()
                wait_indexed(other, len(projects), auth)
                handover = upload_to_installable(ours, other, auth, args.upload_samples, files)
                extras[files] |= {
                    "indexBuildSeconds": round(build, 2),
                    "idleCpu": idle,
                    "uploadToInstallable": handover,
                }
                print(
                    f"  idle CPU (fraction of one CPU): {idle}; upload-to-installable through the other task: "
                    f"max {handover['maxSeconds']} s, {handover['failures']} failures"
                )
            finally:
                ours.stop()
                if other is not None:
                    other.stop()

            if args.guide and files <= args.guide_max_files:
                with LocalTask(guide_spec, packages, workdir / "guide", free_port(), cpus=server_cpus) as guide:
                    auth = (guide.credentials["username"], guide.credentials["password"])
                    load = load_average()
                    keep(
                        "guide",
                        files,
                        run_phase(
                            guide.url,
                            projects,
                            args.clients,
                            args.guide,
                            args.max_seconds,
                            auth,
                            f"guide {files}",
                            seed=4,
                        ),
                        {"loadAverageBefore": load, "auth": True},
                    )
            print_size_table(files, [r for r in runs if r["files"] == files])
    except LocalRunError as err:
        fail(str(err))
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130

    if args.first_pass_only:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(
            json.dumps({"stack": args.stack, "bySize": {str(f): e for f, e in extras.items()}}, indent=1) + "\n"
        )
        return 0 if all(e["firstPass"]["notFoundForExistingProjects"] == 0 for e in extras.values()) else 1
    ratios, checks = evaluate(runs, extras, sizes)
    cost = growth(runs, sizes)
    print("\nthroughput relative to the smallest size (how cost grows with size):")
    for name, by_size in cost.items():
        print(f"  {name:<12}" + "  ".join(f"{f}: {v:.2f}" for f, v in by_size.items()))
    print("\nratios (warm installs/s):")
    for key, value in ratios.items():
        print(f"  {key}: {value}")
    for name, check in checks.items():
        print(
            f"  [{'PASS' if check['pass'] else 'FAIL'}] {name}: measured {check['measured']} (limit {check['limit']})"
        )

    document = {
        "generatedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "durationSeconds": round(time.time() - started, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "serverCpus": sorted(server_cpus) if server_cpus else "all (shared with the client)",
        },
        "stack": args.stack,
        "sizes": sizes,
        "client": {
            "concurrency": args.clients,
            "operation": "GET /simple/<project>/ then GET the newest file, sha256 checked",
            "timeoutSeconds": CLIENT_TIMEOUT_SECONDS,
        },
        "designs": {
            "guide": {
                "frontEnabled": False,
                "pypiserverArgs": pypiserver_args(guide_spec),
                "gunicorn": gunicorn_config(guide_spec),
            },
            "ours": {
                "frontEnabled": True,
                "pypiserverArgs": pypiserver_args(ours_spec),
                "outOfBandBoundSeconds": OUT_OF_BAND_BOUND_SECONDS,
            },
            "static": {"description": "nginx, static pages and files, no auth"},
        },
        "runs": runs,
        "bySize": {str(f): e for f, e in extras.items()},
        "throughputRelativeToSmallest": cost,
        "ratios": ratios,
        "targets": checks,
        "allTargetsMet": all(c["pass"] for c in checks.values()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=1) + "\n")
    png = plots.by_size(
        runs, args.output.with_suffix(".png"), f"Burst of {args.clients} clients over every project, by repository size"
    )
    print(
        f"\nwrote {args.output.relative_to(PROJECT_ROOT) if args.output.is_relative_to(PROJECT_ROOT) else args.output}"
        f" and {png.name}"
    )
    return 0 if document["allTargetsMet"] else 1


if __name__ == "__main__":
    sys.exit(main())
