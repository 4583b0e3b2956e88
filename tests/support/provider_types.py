"""Checks rendered inputs against pulumi-aws's own Python input types, independently of our
mocks (which echo any key they are given): every key, at every depth, must be a property the
provider declares. A key the provider does not know would be dropped or refused by `pulumi up`.

The types are read from the installed SDK (pulumi-aws, pulumi-random, pinned): each resource's
`*Args` class names its properties (`pulumi.getter(name=...)`), and each property's annotation
names the nested `*Args` type of an object or a list of objects.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator
from typing import Any

from pulumi import _types  # the SDK's own reader of input-type property names

_NESTED = re.compile(r"'?(\w+Args)'?")
_PACKAGES = {"aws": "pulumi_aws", "random": "pulumi_random"}


def args_class(type_token: str) -> type:
    """aws:ec2/launchTemplate:LaunchTemplate -> pulumi_aws.ec2.LaunchTemplateArgs"""
    package, module_path, name = type_token.split(":")
    module_name = module_path.split("/")[0]
    module = importlib.import_module(
        _PACKAGES[package] if module_name == "index" else f"{_PACKAGES[package]}.{module_name}"
    )
    # The SDK names it <Name>InitArgs when <Name>Args is taken by a nested input type.
    return getattr(module, f"{name}InitArgs", None) or getattr(module, f"{name}Args")


def _nested_type(owner: type, py_name: str) -> type | None:
    """The input type of an object-valued property (or of a list's elements), if any."""
    parameter = inspect.signature(owner.__init__).parameters.get(py_name)
    if parameter is None:
        return None
    found = _NESTED.findall(str(parameter.annotation))
    module = importlib.import_module(owner.__module__)
    for name in found:
        nested = getattr(module, name, None) or getattr(
            importlib.import_module(owner.__module__.rsplit(".", 1)[0] + "._inputs"), name, None
        )
        if isinstance(nested, type):
            return nested
    return None


def unknown_keys(type_token: str, inputs: dict[str, Any]) -> Iterator[str]:
    """Dotted paths of every key in `inputs` that the provider's input types do not declare."""
    yield from _walk(args_class(type_token), inputs, "")


def _walk(owner: type, value: dict[str, Any], prefix: str) -> Iterator[str]:
    names = _types.input_type_py_to_pulumi_names(owner)
    by_wire = {wire: py for py, wire in names.items()}
    for key, item in value.items():
        if key not in by_wire:
            yield f"{prefix}{key}"
            continue
        nested = _nested_type(owner, by_wire[key])
        if nested is None:
            continue  # a scalar, a map (tags) or a JSON string
        elements = item if isinstance(item, list) else [item]
        for i, element in enumerate(elements):
            if isinstance(element, dict):
                where = f"{prefix}{key}[{i}]." if isinstance(item, list) else f"{prefix}{key}."
                yield from _walk(nested, element, where)
