"""Rendering the shipped stacks through the offline engine, as `__main__.py` runs for a stack
file."""

from __future__ import annotations

import base64
import bz2
import io
import json
import tarfile
from pathlib import Path

from commands.engine import StackPreview, run_program

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_STACKS = ("light", "medium", "heavy", "very-heavy")


def render(stack: str, **overrides: object) -> StackPreview:
    """Run __main__.py for a stack file (plus overrides, given as Python values) under mocks."""
    as_strings = {k: v if isinstance(v, str) else json.dumps(v) for k, v in overrides.items()}
    return run_program(stack, as_strings)


def containers(preview: StackPreview) -> list[dict]:
    """The task definition's container definitions, decoded."""
    return json.loads(preview.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])


def shipped_files(container: dict) -> dict[str, str]:
    """The archive the container unpacks into /data, read with tarfile."""
    env = {e["name"]: e["value"] for e in container["environment"]}
    archive = tarfile.open(fileobj=io.BytesIO(bz2.decompress(base64.b64decode(env["TASK_FILES"]))))
    return {m.name: archive.extractfile(m).read().decode() for m in archive.getmembers()}
