"""What the sweep for files changed in place costs an idle task, by folder size, in one run.

For each size: a folder of real wheels (tools/repo_gen), indexed by a first pass, then one
whole round of the sweep (every recorded file stat'ed and compared with its record, in the
passes a round takes) timed in CPU seconds. Prints microseconds per file and the share of
one CPU the sweep takes at the task's settings (a round per CHANGE_SWEEP_SECONDS, a pass per
INDEX_SCAN_SECONDS). Local disk: on EFS a stat is a network round trip (latency, not CPU).

    python -m tools.sweep_cost [--sizes 2000,20000,100000]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

from pypi_index import contract
from pypi_index.scan import Scanner
from pypi_index.store import Store
from task.spec import INDEX_SCAN_SECONDS
from tools import repo_gen

VERSIONS = 4


def measure(root: Path, files: int) -> dict:
    repo_gen.generate(root, files // VERSIONS, VERSIONS, payload_bytes=64, prefix="sweep")
    store = Store(str(root))
    scanner = Scanner(store, interval=INDEX_SCAN_SECONDS)
    scanner.poll()  # the first pass records every file
    # Passes run back to back here, not INDEX_SCAN_SECONDS apart: date the folder's last change
    # back, as it is in an idle task (a recent change makes every pass list the folder again).
    stamp = time.time() - 60
    os.utime(root, (stamp, stamp))
    scanner.poll()
    passes = math.ceil(contract.CHANGE_SWEEP_SECONDS / INDEX_SCAN_SECONDS)
    started = time.process_time()
    for _ in range(passes):
        scanner.poll()
    cpu = time.process_time() - started
    return {
        "files": len(scanner.recorded),
        "passesPerRound": passes,
        "roundCpuSeconds": round(cpu, 3),
        "microsecondsPerFile": round(1e6 * cpu / max(1, len(scanner.recorded)), 2),
        "cpuShare": round(cpu / contract.CHANGE_SWEEP_SECONDS, 6),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    args = parser.parse_args(argv)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="sweep-cost-") as tmp:
            rows.append(measure(Path(tmp) / "packages", size))
    print(f"{'files':>8} {'passes/round':>13} {'CPU s/round':>12} {'µs/file':>8} {'share of a CPU':>15}")
    for r in rows:
        print(
            f"{r['files']:>8} {r['passesPerRound']:>13} {r['roundCpuSeconds']:>12} {r['microsecondsPerFile']:>8} "
            f"{100 * r['cpuShare']:>14.3f}%"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
