"""The README's "Serving fast under burst" section states what the code and the committed
benchmark say (numbers are measured, not typed in)."""

from __future__ import annotations

import json
import re

from conftest import ROOT

from components import task_design as td

SECTION = (ROOT / "README.md").read_text().split("## Serving fast under burst", 1)[-1]
ROWS = {
    "guide's design (pypiserver alone)": "guide",
    "our task, cold cache (first 3000)": "ours-cold",
    "our task, warm": "ours-warm",
    "static nginx, no auth (the limit)": "static",
}


def table() -> dict[str, list[str]]:
    cells = {}
    for line in SECTION.splitlines():
        parts = [c.strip() for c in line.strip().strip("|").split("|")]
        if parts and parts[0] in ROWS:
            cells[ROWS[parts[0]]] = parts[1:]
    return cells


def test_readme_table_matches_the_committed_benchmark():
    runs = {r["name"]: r for r in json.loads((ROOT / "results" / "bench.json").read_text())["runs"]}
    rows = table()
    assert set(rows) == set(ROWS.values()), "one README row per benchmark run"
    for name, (installs, rate, p50, p95, p99, errors) in rows.items():
        r = runs[name]
        digits = len(p95.split(".")[1])
        assert (int(installs), float(rate), int(errors)) == (r["operations"], round(r["operationsPerSecond"], 1),
                                                             r["errors"]), f"{name}: README differs from bench.json"
        assert (float(p50), float(p95), float(p99)) == tuple(
            round(r[k], digits) for k in ("p50Seconds", "p95Seconds", "p99Seconds")), f"{name} latencies"


def test_readme_ratios_match_the_committed_benchmark():
    ratios = json.loads((ROOT / "results" / "bench.json").read_text())["ratios"]
    assert f"{round(ratios['ratioToGuide'])} × the guide's design" in SECTION
    assert f"{round(ratios['ratioToStatic'] * 100)} % of the static limit" in SECTION


def test_readme_states_the_rendered_out_of_band_bound_and_its_terms():
    from components.task.pypi_index.scan import SETTLE_SECONDS

    assert f"within {td.OUT_OF_BAND_BOUND_SECONDS} s (`OUT_OF_BAND_BOUND_SECONDS`)" in SECTION
    assert f"stats the package folder every\n{td.INDEX_SCAN_SECONDS} s" in SECTION
    assert f"indexed once unchanged for {SETTLE_SECONDS:g} s" in SECTION


def test_readme_states_the_fronts_share_of_the_task():
    assert f"({td.FRONT_CPU_UNITS} CPU units, {td.FRONT_MEMORY_RESERVATION_MIB} MiB reserved" in SECTION


def test_readme_names_where_benchmark_json_is_written():
    assert "results/bench.json" in SECTION and re.search(r"results/stress/", SECTION)
