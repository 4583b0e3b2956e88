"""The offline engine: runs __main__.py for a stack file under Pulumi mocks.

It passes config the way the Pulumi engine does (PULUMI_CONFIG: every value a string,
objects and lists as JSON), records every resource registration (inputs, parent,
dependencies, options) and the component's outputs, and needs no CLI and no cloud.
Preview, policy checks, migration previews and the tests all use this one engine.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import runpy
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT = "pypiserver"
COMPONENT_TYPE = "pypiserver:index:PypiServer"


class EngineError(Exception):
    """Bad input or a program that cannot run. str() is one line for the user."""


@dataclass(frozen=True)
class RenderedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    protect: bool = False
    delete_before_replace: bool = False
    ignore_changes: tuple[str, ...] = ()


@dataclass
class StackPreview:
    stack: str
    project: str
    config: Any  # components.config.PypiServerConfig
    resources: list[RenderedResource]
    outputs: dict[str, Any]

    def of_type(self, type_token: str) -> list[RenderedResource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> RenderedResource:
        """The single resource of a type (and name); raises if there is not exactly one."""
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_token} {name or ''}, found {len(found)}")
        return found[0]


# -- stack files --------------------------------------------------------------------


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


def parse_overrides(items: list[str]) -> dict[str, str]:
    """`key=value` pairs (from SET="a=1 b=2" or repeated --set). Values are YAML scalars or
    JSON, passed on as the engine would: strings as-is, everything else as JSON."""
    result: dict[str, str] = {}
    for item in items:
        for pair in item.split():
            key, sep, raw = pair.partition("=")
            if not sep or not key:
                raise EngineError(f"--set {pair!r}: expected key=value, e.g. instanceType=c6a.2xlarge")
            try:
                value = yaml.safe_load(raw) if raw else ""
            except yaml.YAMLError:
                value = raw
            result[key] = _engine_string(value)
    return result


# -- running the program ---------------------------------------------------------------


def run_program(stack: str, overrides: Mapping[str, str] | None = None, root: Path = PROJECT_ROOT) -> StackPreview:
    """Run __main__.py for one stack under mocks; return every rendered resource."""
    config = stack_config(stack, overrides, root)
    # A fresh context per run: the SDK keeps its settings, root stack and config in
    # context variables, so runs never see each other's state.
    return contextvars.Context().run(_run_isolated, stack, config, root)


def _run_isolated(stack: str, config: dict[str, str], root: Path) -> StackPreview:
    import pulumi
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from components.config import load_config

    from .mocks import AwsMocks
    from .recording_monitor import RecordingMonitor

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    saved_env = os.environ.get("PULUMI_CONFIG")
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        pulumi.runtime.set_all_config({})
        mocks = AwsMocks(config)
        monitor = RecordingMonitor(mocks)
        # preview=False: with preview=True, unknown outputs would skip every apply() and
        # the rendered container definitions, policies and dashboards would be empty.
        pulumi_mocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
        program = str(root / "__main__.py")
        try:

            def run() -> None:
                runpy.run_path(program, run_name="__main__")

            _sync_await(run_pulumi_func(run))
        except pulumi.RunError as err:
            raise EngineError(str(err)) from None
    finally:
        if saved_env is None:
            os.environ.pop("PULUMI_CONFIG", None)
        else:
            os.environ["PULUMI_CONFIG"] = saved_env
        asyncio.set_event_loop(None)
        loop.close()
    # The program accepted this config (a bad one raises RunError above, as under the CLI).
    return StackPreview(
        stack=stack,
        project=PROJECT,
        config=load_config(config),
        resources=monitor.rendered(),
        outputs=monitor.component_outputs(COMPONENT_TYPE),
    )
