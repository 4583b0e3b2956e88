"""Latency plots (PNG) for the stress tool and the benchmark."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def _cdf(ax, values: list[float], label: str) -> None:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return
    ax.step(ordered, [(i + 1) / n for i in range(n)], where="post", label=f"{label} (n={n})")


def latency_over_time(started: list[float], latencies: list[float], failed: list[bool], path: Path, title: str) -> Path:
    """Each operation's latency at the time it started (errors in red), plus its CDF."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    ok = [(s, v) for s, v, f in zip(started, latencies, failed) if not f]
    bad = [(s, v) for s, v, f in zip(started, latencies, failed) if f]
    if ok:
        ax1.scatter(*zip(*ok), s=3, alpha=0.4, label="ok")
    if bad:
        ax1.scatter(*zip(*bad), s=6, color="red", label="error")
    ax1.set_xlabel("seconds since start")
    ax1.set_ylabel("latency, seconds")
    ax1.set_yscale("log")
    ax1.grid(True, alpha=0.3)
    ax1.legend(fontsize=8)
    _cdf(ax2, latencies, "all operations")
    ax2.set_xscale("log")
    ax2.set_xlabel("latency, seconds")
    ax2.set_ylabel("fraction")
    ax2.grid(True, which="both", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def by_size(runs: list[dict], path: Path, title: str) -> Path:
    """Throughput and P95 of each design against repository size (files), log-log."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name in dict.fromkeys(r["name"] for r in runs):
        points = sorted((r["files"], r["operationsPerSecond"], r["p95Seconds"]) for r in runs if r["name"] == name)
        files = [p[0] for p in points]
        ax1.plot(files, [p[1] for p in points], marker="o", label=name)
        ax2.plot(files, [p[2] for p in points], marker="o", label=name)
    for ax, label in ((ax1, "installs per second"), (ax2, "P95 latency per install, seconds")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("files in the repository")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    ax2.axhline(0.5, linestyle=":", color="grey")
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
