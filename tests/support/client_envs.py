"""Real package clients, each pinned and installed from PyPI into its own virtualenv under
.clients/ (kept between runs; created under a lock, so parallel test workers share one)."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from tests.support.stacks import ROOT

CLIENTS_DIR = ROOT / ".clients"

# Current releases, and the pip of two years ago that many CI images still carry.
PINS = {
    "pip-current": ["pip==26.3"],
    "pip-23": ["pip==23.3.2"],
    "uv": ["uv==0.13.9"],
    "poetry": ["poetry==2.5.1"],
    "twine-current": ["twine==7.0.0"],
    # What pypa/gh-action-pypi-publish's oidc-exchange.py imports (its requirements/runtime.txt).
    "gh-action-exchange": ["id==1.3.0", "requests==2.31.0"],
}


def client_env(name: str) -> Path:
    """The bin/ directory of the client's virtualenv, created on first use."""
    pins = PINS[name]
    env = CLIENTS_DIR / f"{name}-{'-'.join(p.split('==')[1] for p in pins)}"
    marker = env / ".installed"
    CLIENTS_DIR.mkdir(exist_ok=True)
    with open(CLIENTS_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(env)], check=True)
            result = subprocess.run(
                [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise RuntimeError(f"installing {pins} failed: {result.stderr[-500:]}")
            marker.touch()
    return env / "bin"
