"""The benchmark (tools/bench.py): ratios and targets, and a tiny end-to-end run."""

from __future__ import annotations

import json

import pytest
from conftest import nginx_available, require_real_part

from tools import bench


def summary(rate: float, p95: float = 0.1, p99: float = 0.2, errors: int = 0) -> dict:
    return {"operationsPerSecond": rate, "p95Seconds": p95, "p99Seconds": p99, "errors": errors, "http5xx": 0,
            "errorRate": 0.0}


def runs(**changes) -> dict:
    base = {"guide": summary(10), "ours-cold": summary(800, p95=2.0), "ours-warm": summary(1500), "static": summary(2000)}
    return {**base, **changes}


def test_ratios_compare_warm_throughput_with_guide_and_static():
    ratios, _ = bench.evaluate(runs())
    assert ratios == {"ratioToGuide": 150.0, "ratioToStatic": 0.75}


def test_targets_pass_when_every_one_holds():
    _, checks = bench.evaluate(runs())
    assert all(c["pass"] for c in checks.values()), checks


@pytest.mark.parametrize("changes, failing", [
    ({"guide": summary(20)}, "throughput vs guide >= 100x"),
    ({"static": summary(2500)}, "throughput vs static >= 70 %"),
    ({"ours-warm": summary(1500, p95=0.6)}, "warm: P95 <= 0.5 s"),
    ({"ours-warm": summary(1500, p99=1.5)}, "warm: P99 <= 1 s"),
    ({"ours-cold": summary(800, p95=3.5)}, "cold: P95 <= 3 s"),
    ({"ours-cold": summary(800, errors=1)}, "cold: no errors"),
])
def test_each_missed_target_is_reported(changes, failing):
    _, checks = bench.evaluate(runs(**changes))
    assert [name for name, c in checks.items() if not c["pass"]] == [failing]


def test_tiny_benchmark_runs_all_designs_side_by_side(tmp_path, capsys):
    require_real_part(nginx_available(), "nginx")
    out = tmp_path / "bench.json"
    code = bench.main(["--packages", "4", "--versions", "2", "--clients", "4", "--cold", "20", "--warm", "40",
                       "--static", "40", "--guide", "8", "--output", str(out), "--workdir", str(tmp_path / "work")])
    doc = json.loads(out.read_text())
    assert [r["name"] for r in doc["runs"]] == ["static", "ours-cold", "ours-warm", "guide"], "one run, all designs"
    assert all(r["errors"] == 0 for r in doc["runs"]), "every design serves the tiny load without errors"
    assert doc["repository"]["wheels"] == 8 and out.with_suffix(".png").stat().st_size > 0
    assert code in (0, 1) and "ratioToGuide" in capsys.readouterr().out


def test_bad_arguments_are_one_line_errors(capsys):
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--clients", "0"])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and "--clients" in err and err.count("\n") == 0
