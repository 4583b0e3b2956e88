"""docs/serving.md states what the code and the committed benchmark say (numbers are
measured, not typed in)."""

from __future__ import annotations

import json
import re

from task.spec import FRONT_CPU_UNITS, FRONT_MEMORY_RESERVATION_MIB, INDEX_SCAN_SECONDS, OUT_OF_BAND_BOUND_SECONDS
from tests.support.stacks import ROOT

SECTION = (ROOT / "docs" / "serving.md").read_text()
BENCH = json.loads((ROOT / "results" / "bench.json").read_text())
DESIGNS = {
    "guide's design (pypiserver alone)": "guide",
    "our task, first pass over every project": "ours-first-pass",
    "our task, warm": "ours-warm",
    "static nginx, no auth (the limit)": "static",
}


def table() -> dict[tuple[int, str], list[str]]:
    """README rows `| files | design | installs | installs/s | P50 | P95 | P99 | errors |`."""
    cells = {}
    for line in SECTION.splitlines():
        parts = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(parts) == 8 and parts[1] in DESIGNS and parts[0].replace(",", "").isdigit():
            cells[(int(parts[0].replace(",", "")), DESIGNS[parts[1]])] = parts[2:]
    return cells


def test_readme_table_matches_the_committed_benchmark():
    runs = {(r["files"], r["name"]): r for r in BENCH["runs"]}
    rows = table()
    assert set(rows) == set(runs), "one README row per benchmark run"
    for key, (installs, rate, p50, p95, p99, errors) in rows.items():
        r = runs[key]
        digits = len(p95.split(".")[1])
        assert (int(installs), float(rate), int(errors)) == (
            r["operations"],
            round(r["operationsPerSecond"], 1),
            r["errors"],
        ), f"{key}: README differs from bench.json"
        assert (float(p50), float(p95), float(p99)) == tuple(
            round(r[k], digits) for k in ("p50Seconds", "p95Seconds", "p99Seconds")
        ), f"{key} latencies"


def test_readme_states_the_measured_per_size_facts():
    for files, extra in BENCH["bySize"].items():
        size = f"{int(files):,}"
        assert f"| {size} | {extra['indexBuildSeconds']:.1f} s |" in SECTION, f"index build time at {size}"
        u = extra["uploadToInstallable"]
        assert f"| {u['maxSeconds']:.2f} s |" in SECTION.split(f"| {size} | {extra['indexBuildSeconds']:.1f} s |")[1]


def test_readme_states_the_rendered_out_of_band_bound_and_its_terms():
    from pypi_index.contract import SETTLE_SECONDS

    assert f"within {OUT_OF_BAND_BOUND_SECONDS} s (`OUT_OF_BAND_BOUND_SECONDS`)" in SECTION
    assert f"stats the package folder every\n{INDEX_SCAN_SECONDS} s" in SECTION
    assert f"indexed once unchanged for {SETTLE_SECONDS:g} s" in SECTION


def test_readme_states_the_fronts_share_of_the_task():
    assert f"({FRONT_CPU_UNITS} CPU units, {FRONT_MEMORY_RESERVATION_MIB} MiB reserved" in SECTION


def test_readme_names_where_benchmark_json_is_written():
    assert "results/bench.json" in SECTION and re.search(r"results/stress/", SECTION)


def test_readme_states_the_one_cpu_run():
    one = json.loads((ROOT / "results" / "bench-one-cpu.json").read_text())
    runs = {(r["files"], r["name"]): r for r in one["runs"]}
    flat = " ".join(SECTION.split())
    for key in ((2000, "ours-warm"), (100000, "ours-warm"), (2000, "static"), (100000, "static")):
        assert f"{runs[key]['operationsPerSecond']:.1f}" in flat, f"{key} of the one-CPU run"
    kept = one["throughputRelativeToSmallest"]
    assert f"({kept['ours-warm']['100000']:.3f} ×" in flat and f"({kept['static']['100000']:.3f} ×)" in flat
    assert one["allTargetsMet"] is False and "target fails in this run" in flat, "a failed target is said plainly"
