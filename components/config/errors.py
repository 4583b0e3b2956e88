"""How a bad stack configuration is reported: one line naming the key."""

from __future__ import annotations

NAMESPACE = "pypiserver"


class ConfigError(Exception):
    """A stack configuration that cannot be deployed. str() is one line for the user."""


def key(field_alias: str) -> str:
    """A setting as the user writes it in the stack file: `pypiserver:<alias>`."""
    return f"{NAMESPACE}:{field_alias}"
