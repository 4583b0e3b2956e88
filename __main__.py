"""Pulumi program: one PypiServer per stack, sized by the stack file's profile."""

import pulumi
from pulumi.runtime import config as runtime_config

from components.compute import describe_instance_type
from components.config import ConfigError, load_config
from components.pypiserver import PypiServer


def _stack_config() -> dict[str, str]:
    """Every config entry of this stack, as the engine passes them (PULUMI_CONFIG), so that
    unknown `pypiserver:*` keys are reported instead of silently ignored."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


try:
    # vCPU and memory of the instance type come from AWS (getInstanceType), for any type.
    config = load_config(_stack_config(), describe_instance_type=describe_instance_type)
except ConfigError as err:
    # RunError: the CLI prints the one-line message without a Python traceback.
    raise pulumi.RunError(str(err)) from None

region = pulumi.Config("aws").require("region")
server = PypiServer("pypiserver", config, region)

for key, value in server.outputs().items():
    pulumi.export(key, value)
