"""Tests that need real parts (nginx, the clients, a free port) fail instead of skipping in CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def require_real_part(available: bool, what: str) -> None:
    """Skip locally when a real part (nginx, a port) is missing; fail in CI and under `make
    test`, which set REQUIRE_REAL_PARTS=1, so that a missing part can never pass as a skipped
    test."""
    if available:
        return
    if os.environ.get("REQUIRE_REAL_PARTS") == "1":
        pytest.fail(f"{what} is required (REQUIRE_REAL_PARTS=1) but missing")
    pytest.skip(f"{what} not available")


def nginx_available() -> bool:
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()
