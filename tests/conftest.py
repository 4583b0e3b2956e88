"""Shared test helpers: every test renders a fresh program through the offline engine."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from offline.engine import StackPreview, run_program  # noqa: E402

# The policy pack's fixtures (analyze, pack_pool) reach every test by name, as pytest fixtures
# should, instead of being imported; loading it also puts policy/ on sys.path for the pack's modules.
pytest_plugins = ["policy_fixtures"]

SHIPPED_STACKS = ("light", "medium", "heavy", "very-heavy")


def render(stack: str, **overrides: object) -> StackPreview:
    """Run __main__.py for a stack file (plus overrides, given as Python values) under mocks."""
    as_strings = {k: v if isinstance(v, str) else json.dumps(v) for k, v in overrides.items()}
    return run_program(stack, as_strings)


def containers(preview: StackPreview) -> list[dict]:
    """The task definition's container definitions, decoded."""
    return json.loads(preview.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])


def require_real_part(available: bool, what: str) -> None:
    """Skip locally when a real part (nginx, a port) is missing; fail in CI, where .ci/run
    sets REQUIRE_REAL_PARTS=1 so that a missing part can never pass as a skipped test."""
    if available:
        return
    if os.environ.get("REQUIRE_REAL_PARTS") == "1":
        pytest.fail(f"{what} is required (REQUIRE_REAL_PARTS=1) but missing")
    pytest.skip(f"{what} not available")


def nginx_available() -> bool:
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()
