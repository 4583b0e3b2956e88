"""Stack files as the Pulumi engine reads them: `Pulumi.<stack>.yaml` to PULUMI_CONFIG.

Every value reaches the program as a string (objects and lists as JSON), as under the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "pypiserver"


class EngineError(Exception):
    """Bad input or a program that cannot run. str() is one line for the user."""


def available_stacks(root: Path = PROJECT_ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def _engine_string(value: Any) -> str:
    """How the engine hands a config value to a program: strings as-is, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def stack_config(stack: str, overrides: Mapping[str, str] | None = None, root: Path = PROJECT_ROOT) -> dict[str, str]:
    """The PULUMI_CONFIG dict for a stack file, with `key=value` overrides applied."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise EngineError(f"unknown stack {stack!r}: no {path.name}; available: {', '.join(available_stacks(root))}")
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise EngineError(f"{path.name}{where}: not valid YAML") from None
    entries = doc.get("config") or {}
    if not isinstance(entries, dict):
        raise EngineError(f"{path.name}: 'config' must be a mapping of keys to values")
    config: dict[str, str] = {}
    for key, value in entries.items():
        if isinstance(value, dict) and "secure" in value:
            raise EngineError(f"{path.name}: {key} is an encrypted secret; the offline engine cannot decrypt it")
        full = key if ":" in key else f"{PROJECT}:{key}"
        config[full] = _engine_string(value)
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        config[full] = value
    return config


def split_pairs(item: str) -> list[str]:
    """Split on whitespace outside quotes and brackets, so a value can hold spaces:
    SET="backupSchedule='cron(0 3 ? * SUN *)' users=[{\"name\": \"ci\"}]". Quotes stay for YAML."""
    pairs, current, quote, depth = [], "", "", 0
    for ch in item:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch.isspace() and depth == 0:
            if current:
                pairs.append(current)
            current = ""
            continue
        current += ch
    if quote:
        raise EngineError(f"--set {item!r}: unbalanced {quote} quote")
    if current:
        pairs.append(current)
    return pairs


def parse_overrides(items: list[str]) -> dict[str, str]:
    """`key=value` pairs (from SET="a=1 b=2" or repeated --set). Values are YAML scalars or
    JSON, passed on as the engine would: strings as-is, everything else as JSON."""
    result: dict[str, str] = {}
    for item in items:
        for pair in split_pairs(item):
            key, sep, raw = pair.partition("=")
            if not sep or not key:
                raise EngineError(f"--set {pair!r}: expected key=value, e.g. instanceType=c6a.2xlarge")
            try:
                value = yaml.safe_load(raw) if raw else ""
            except yaml.YAMLError:
                value = raw
            result[key] = _engine_string(value)
    return result
