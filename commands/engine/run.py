"""Runs __main__.py for a stack file under Pulumi mocks and records every registration.

It passes config the way the Pulumi engine does, records every resource registration (inputs,
parent, dependencies, options) and the component's outputs, and needs no CLI and no cloud.
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
from pathlib import Path

from .records import StackPreview
from .stack_files import PROJECT, PROJECT_ROOT, EngineError, stack_config


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
    from guide.type_tokens import COMPONENT

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
        outputs=monitor.component_outputs(COMPONENT),
    )
