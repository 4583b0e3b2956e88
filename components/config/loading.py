"""From the engine's config entries (`pypiserver:*`, every value a string) to the model, and
from pydantic's errors to one line naming the key, the value and what is allowed."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from pydantic import ValidationError

from .checks import check_consistent
from .errors import NAMESPACE, ConfigError, key
from .instance import DescribeInstanceType
from .schema import PypiServerConfig


def _alias_of(field_name: str) -> str:
    return PypiServerConfig.model_fields[field_name].alias or field_name


_STRING_FIELDS = {
    name
    for name, f in PypiServerConfig.model_fields.items()
    if f.annotation is str
    or (get_origin(f.annotation) is Literal and all(isinstance(a, str) for a in get_args(f.annotation)))
}


def _parse_value(alias: str, raw: Any) -> Any:
    """The engine passes every value as a string (objects and lists as JSON): decode it."""
    field = next((n for n, f in PypiServerConfig.model_fields.items() if f.alias == alias), None)
    if not isinstance(raw, str) or field in _STRING_FIELDS:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # a bare word: let the model say what it expected


def load_config(raw: Mapping[str, Any], describe_instance_type: DescribeInstanceType | None = None) -> PypiServerConfig:
    """Build the model from `pypiserver:*` config entries (other namespaces are ignored).
    `describe_instance_type` answers vCPU, memory and architecture (the program passes AWS's
    getInstanceType; without it they come from instanceSpecs or the catalog).

    Raises ConfigError with one line naming the key, the value and what is allowed: first
    what one setting cannot be (the model's validators), then what settings cannot be
    together (checks.py).
    """
    ours = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith(f"{NAMESPACE}:")}
    known = [f.alias for f in PypiServerConfig.model_fields.values() if f.alias]
    for k in ours:
        if k not in known:
            close = difflib.get_close_matches(k, known, n=1)
            hint = f"; did you mean {key(close[0])}?" if close else f"; allowed keys: {', '.join(sorted(known))}"
            raise ConfigError(f"{key(k)} is not a known setting{hint}")
    data = {k: _parse_value(k, v) for k, v in ours.items()}
    try:
        config = PypiServerConfig.model_validate(data, context={"describe_instance_type": describe_instance_type})
    except ConfigError:
        raise
    except ValidationError as e:
        raise ConfigError(_one_line(e, data)) from None
    check_consistent(config)
    return config


def _one_line(err: ValidationError, data: Mapping[str, Any]) -> str:
    first = err.errors()[0]
    msg = first["msg"].removeprefix("Value error, ")
    loc = [str(p) for p in first["loc"]]
    if not loc:  # raised by a model validator: its message already names the key
        return msg
    top = loc[0]
    alias = top if top in {f.alias for f in PypiServerConfig.model_fields.values()} else _alias_of(top)
    path = key(alias) + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc[1:])
    value = first.get("input")
    shown = json.dumps(value) if not isinstance(value, str) else repr(value)
    if first["type"] == "missing":
        return f"{path} is required"
    if first["type"] == "extra_forbidden":
        return f"{path} is not a known setting"
    return f"{path}: got {shown}; {msg[0].lower() + msg[1:]}"
