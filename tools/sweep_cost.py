"""What the sweep for files changed in place costs an idle task, by folder size, measured side
by side in one run.

For each size: a folder of real wheels (tools/repo_gen), and the heavy stack's task started on
it twice, idle once the first pass is done: once with the sweep making a whole round in the
measuring window, once with the sweep as good as off. The difference in pypiserver's CPU time
over the window is what one round costs: printed per file, and as the share of one CPU it
takes at the task's setting (one round per CHANGE_SWEEP_SECONDS). Local disk: on EFS a stat is
a network round trip (latency, not CPU).

    python -m tools.sweep_cost [--sizes 2000,20000,100000] [--window 20] [--output results/sweep-cost.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from pypi_index import contract
from tools import repo_gen
from tools.bench import load_stack
from tools.local_task import LOCAL_REGION, LocalTask, free_port

VERSIONS = 4
OFF_SECONDS = 10**9  # a round every 30 years: one file per pass
# What the scanner logs when its first pass is done (pypi_index/server.py).
FIRST_PASS_DONE = "index built from the package folder"


def idle_cpu(packages: Path, workdir: Path, sweep_seconds: float, window: float) -> float:
    """pypiserver's CPU seconds over `window`, idle after its first pass."""
    spec = load_stack("heavy", True).task_spec(LOCAL_REGION)
    env = {contract.ENV_SWEEP_SECONDS: str(sweep_seconds)}
    with LocalTask(spec, packages, workdir, free_port(), environment=env) as task:
        log = workdir / "pypiserver.log"
        while FIRST_PASS_DONE not in log.read_text(errors="replace"):
            time.sleep(0.5)
        time.sleep(3)  # settled into idle passes
        before = task.cpu_seconds()["pypiserver"]
        time.sleep(window)
        return task.cpu_seconds()["pypiserver"] - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument("--window", type=float, default=20.0, help="seconds measured, and one sweep round")
    parser.add_argument("--output", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    rows = []
    for files in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="sweep-cost-") as tmp:
            packages = Path(tmp) / "packages"
            projects = files // VERSIONS
            repo_gen.generate(packages, projects, VERSIONS, payload_bytes=64, prefix="sweep")
            on = idle_cpu(packages, Path(tmp) / "on", args.window, args.window)
            off = idle_cpu(packages, Path(tmp) / "off", OFF_SECONDS, args.window)
        per_round = max(0.0, on - off)
        rows.append((files, on, off, per_round, 1e6 * per_round / files, per_round / contract.CHANGE_SWEEP_SECONDS))
    print(f"idle pypiserver CPU over {args.window:g} s, with a whole sweep round in it and with the sweep off")
    print(f"{'files':>8} {'sweep on s':>11} {'off s':>7} {'per round s':>12} {'µs/file':>8} {'share of a CPU':>15}")
    for files, on, off, per_round, per_file, share in rows:
        print(f"{files:>8} {on:>11.2f} {off:>7.2f} {per_round:>12.2f} {per_file:>8.2f} {100 * share:>14.3f}%")
    print(f"(share: one round per {contract.CHANGE_SWEEP_SECONDS} s, the task's setting)")
    if args.output:
        keys = (
            "files",
            "sweepOnCpuSeconds",
            "sweepOffCpuSeconds",
            "roundCpuSeconds",
            "microsecondsPerFile",
            "cpuShare",
        )
        document = {"windowSeconds": args.window, "roundSeconds": contract.CHANGE_SWEEP_SECONDS}
        document["rows"] = [
            dict(zip(keys, (files, round(on, 2), round(off, 2), round(r, 2), round(us, 2), round(sh, 6))))
            for files, on, off, r, us, sh in rows
        ]
        args.output.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
