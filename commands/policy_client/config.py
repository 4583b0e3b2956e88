"""Policy pack config, read and reconciled as the engine does before it configures the pack.

Stricter than the engine: a policy name that the pack does not have, or a setting a policy does
not declare, is an error (a typo would otherwise switch nothing off or on without a word).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from .records import PolicyError, PolicyInfo

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


@dataclass(frozen=True)
class PolicyConfig:
    """One policy's reconciled config: what Configure sends for it."""

    level: str
    properties: dict[str, Any]


def load_policy_config(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON file given to --policy-pack-config: {"all": level, "<policy>": level | {...}}."""
    try:
        raw = Path(path).read_text()
    except FileNotFoundError:
        raise PolicyError(f"policy config {path}: no such file") from None
    except OSError as e:
        raise PolicyError(f"policy config {path}: cannot read it ({e.strerror})") from None
    if not raw.strip():
        return {}  # the engine accepts an empty file as "no config"
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise PolicyError(
            f"policy config {path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})"
        ) from None
    if not isinstance(config, dict):
        raise PolicyError(f"policy config {path}: must be a JSON object of policy names, got {type(config).__name__}")
    return config


def _parse_entry(name: str, value: Any) -> tuple[str | None, dict[str, Any]]:
    """(enforcement level or None, properties) of one top-level entry (config.go parsePolicyPackConfig)."""
    if isinstance(value, str):
        if value not in LEVELS:
            raise PolicyError(
                f"policy config: {name}: {value!r} is not an enforcement level (allowed: {', '.join(LEVELS)})"
            )
        return value, {}
    if isinstance(value, dict):
        props = dict(value)
        level = props.pop("enforcementLevel", None)
        if level is not None and level not in LEVELS:
            raise PolicyError(
                f"policy config: {name}.enforcementLevel: {level!r} is not an enforcement level "
                f"(allowed: {', '.join(LEVELS)})"
            )
        return level, props
    raise PolicyError(
        f"policy config: {name}: {json.dumps(value)} is not valid; must be an enforcement level string or an object"
    )


def reconcile(
    policies: Sequence[PolicyInfo],
    config: Mapping[str, Any],
    initial: Mapping[str, tuple[str | None, dict]] | None = None,
) -> dict[str, PolicyConfig]:
    """Schema defaults, then the pack's initial config, then `all`, then per-policy entries;
    every policy ends with an enforcement level. Raises PolicyError (one line) on bad config."""
    known = {p.name: p for p in policies}
    given = {name: _parse_entry(name, value) for name, value in config.items()}
    for name, (_, props) in given.items():
        if name == "all":
            if props:
                raise PolicyError(
                    f"policy config: all: only an enforcement level applies to all policies, "
                    f"not {', '.join(sorted(props))}"
                )
            continue
        if name not in known:
            raise PolicyError(f"policy config: unknown policy {name!r} (policies: {', '.join(sorted(known))})")
        undeclared = sorted(set(props) - set(known[name].properties))
        if undeclared:
            settable = ", ".join(sorted(known[name].properties)) or "none"
            raise PolicyError(f"policy config: {name}: unknown setting {undeclared[0]!r} (settings: {settable})")

    result = {
        p.name: PolicyConfig(p.level, {k: v["default"] for k, v in p.properties.items() if "default" in v})
        for p in policies
    }
    for layer in (initial or {}, given):
        all_level = layer.get("all", (None, {}))[0]
        if all_level:
            result = {name: PolicyConfig(all_level, c.properties) for name, c in result.items()}
        for name, (level, props) in layer.items():
            if name == "all" or name not in result:
                continue
            current = result[name]
            result[name] = PolicyConfig(level or current.level, {**current.properties, **props})

    errors = [f"{p.name}: {error}" for p in policies for error in _schema_errors(p, result[p.name].properties)]
    if errors:
        raise PolicyError("policy config: " + "; ".join(errors))
    return result


def _schema_errors(policy: PolicyInfo, properties: Mapping[str, Any]) -> list[str]:
    """The engine's check (gojsonschema over {type: object, properties, required})."""
    schema: dict[str, Any] = {"type": "object", "properties": policy.properties}
    if policy.required:
        schema["required"] = list(policy.required)
    errors = []
    for error in sorted(Draft7Validator(schema).iter_errors(dict(properties)), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path)
        errors.append(f"{where}: {error.message}" if where else error.message)
    return errors


# --- wire format -------------------------------------------------------------------------
