"""The benchmark (tools/bench.py): targets at each size, cost growth, and a tiny end-to-end run."""

from __future__ import annotations

import json

import pytest

from tests.support.real_parts import nginx_available, require_real_part
from tools import bench

SIZES = [2000, 20000, 100000]


def run(name: str, files: int, rate: float, p95: float = 0.1, errors: int = 0) -> dict:
    return {"name": name, "files": files, "operationsPerSecond": rate, "p95Seconds": p95, "errors": errors}


def runs(**changes) -> list[dict]:
    base = {}
    for files in SIZES:
        base[f"static@{files}"] = run("static", files, 2000)
        base[f"ours-first-pass@{files}"] = run("ours-first-pass", files, 1500, p95=0.8)
        base[f"ours-warm@{files}"] = run("ours-warm", files, 1800)
    for files in SIZES[:2]:
        base[f"guide@{files}"] = run("guide", files, 10 / (files / 2000))
    base.update(changes)
    return list(base.values())


def extras(**changes) -> dict:
    big = {"uploadToInstallable": {"maxSeconds": 0.2, "failures": 0}, "idleCpu": {"nginx": 0.0, "pypiserver": 0.003}}
    big.update(changes)
    return {100000: big}


def failing(rs, ex) -> list[str]:
    _, checks = bench.evaluate(rs, ex, SIZES)
    return [name for name, c in checks.items() if not c["pass"]]


def test_every_target_passes_when_it_holds():
    assert failing(runs(), extras()) == []


@pytest.mark.parametrize(
    "changes, extra, expected",
    [
        ({"ours-warm@20000": run("ours-warm", 20000, 1800, p95=0.6)}, {}, "20000: warm P95 <= 0.5 s"),
        ({"ours-warm@100000": run("ours-warm", 100000, 1600)}, {}, "throughput at 100000 >= 90% of at 2000"),
        ({"ours-first-pass@2000": run("ours-first-pass", 2000, 1500, p95=1.2)}, {}, "2000: first pass P95 <= 1.0 s"),
        ({"ours-warm@2000": run("ours-warm", 2000, 1800, errors=1)}, {}, "2000: warm errors = 0"),
        (
            {},
            {"uploadToInstallable": {"maxSeconds": 1.5, "failures": 0}},
            "100000: upload-to-installable through the other task <= 1.0 s",
        ),
        ({}, {"idleCpu": {"nginx": 0.0, "pypiserver": 0.02}}, "100000: idle CPU of a task <= 1% of a CPU"),
    ],
)
def test_each_missed_target_is_reported(changes, extra, expected):
    assert failing(runs(**changes), extras(**extra)) == [expected]


def test_ratios_and_growth_compare_like_with_like():
    ratios, _ = bench.evaluate(runs(), extras(), SIZES)
    assert ratios["2000: ours / guide"] == 180.0 and ratios["20000: ours / guide"] == 1800.0
    assert ratios["100000: ours / static"] == 0.9
    growth = bench.growth(runs(), SIZES)
    assert growth["guide"] == {"2000": 1.0, "20000": 0.1} and growth["ours-warm"]["100000"] == 1.0


def test_tiny_benchmark_runs_all_designs_side_by_side_at_each_size(tmp_path, capsys):
    require_real_part(nginx_available(), "nginx")
    out = tmp_path / "bench.json"
    code = bench.main(
        [
            "--sizes",
            "8,16",
            "--clients",
            "4",
            "--warm",
            "40",
            "--static",
            "40",
            "--guide",
            "8",
            "--idle-seconds",
            "1",
            "--upload-samples",
            "2",
            "--guide-max-files",
            "8",
            "--output",
            str(out),
            "--workdir",
            str(tmp_path / "work"),
        ]
    )
    doc = json.loads(out.read_text())
    assert [(r["name"], r["files"]) for r in doc["runs"]] == [
        ("static", 8),
        ("ours-first-pass", 8),
        ("ours-warm", 8),
        ("guide", 8),
        ("static", 16),
        ("ours-first-pass", 16),
        ("ours-warm", 16),
    ], "one run, every design, each size"
    assert all(r["errors"] == 0 for r in doc["runs"]), "every design serves the tiny load without errors"
    first = next(r for r in doc["runs"] if r["name"] == "ours-first-pass" and r["files"] == 16)
    assert first["operations"] == 4, "the first pass visits each of the 4 projects once"
    assert doc["bySize"]["16"]["uploadToInstallable"]["failures"] == 0
    assert doc["bySize"]["16"]["firstPass"]["notFoundForExistingProjects"] == 0, "no 404 for a project that exists"
    assert doc["bySize"]["16"]["repository"]["files"] == 16 and out.with_suffix(".png").stat().st_size > 0
    assert code in (0, 1) and "how cost grows with size" in capsys.readouterr().out


def test_bad_arguments_are_one_line_errors(capsys):
    for argv in (["--clients", "0"], ["--sizes", "many"]):
        with pytest.raises(SystemExit) as exit_:
            bench.main(argv)
        err = capsys.readouterr().err.strip()
        assert exit_.value.code == 2 and argv[0] in err and err.count("\n") == 0
