"""What a move between two renderings of the stack does to each resource.

Resources are matched by URN. For each pair the inputs are compared (nested paths; JSON
strings such as containerDefinitions are decoded first), changes listed under the
resource's ignoreChanges are dropped, and each remaining change is checked against the
replacement table. Then the knock-on effects that a preview shows as "known after apply":
an input that takes its value from a resource being replaced (or created) changes too, and
so does one that reads an output a provider recomputes on an in-place update (a launch
template's latestVersion). That is how a task definition revision reaches the ECS service,
and a launch template version reaches the Auto Scaling group.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from . import replacements

Action = Literal["create", "delete", "update", "replace", "same"]

# Pulumi marks secret values in JSON-like property maps with this signature key.
_SECRET_SIG = "4dabf18193072939515e22adb298388d"


class _Sentinel:
    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return self._text


MISSING = _Sentinel("(absent)")
UNKNOWN = _Sentinel("(known after apply)")


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: Any
    new: Any
    forces_replacement: bool
    cause: str | None = None  # URN whose replacement/update makes the new value unknown


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    action: Action
    properties: tuple[PropertyChange, ...] = ()
    old: Any = None  # RenderedResource on the current side (None when created)
    new: Any = None  # RenderedResource on the target side (None when deleted)

    @property
    def replacing_paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.properties if p.forces_replacement)

    @property
    def protected(self) -> bool:
        return bool(self.old is not None and self.old.protect)


@dataclass
class MigrationDiff:
    changes: list[ResourceChange]
    unknown_types: list[str] = field(default_factory=list)  # types missing from the replacement table

    def find(self, type_: str, name: str | None = None) -> list[ResourceChange]:
        return [c for c in self.changes if c.type == type_ and (name is None or c.name == name)]

    def summary(self) -> dict[str, int]:
        counts = {a: 0 for a in ("create", "delete", "update", "replace", "same")}
        for c in self.changes:
            counts[c.action] += 1
        return counts


# -- value comparison -------------------------------------------------------------------


def _unwrap(value: Any) -> Any:
    if isinstance(value, Mapping) and _SECRET_SIG in value:
        return value.get("value")
    return value


def _decoded(value: Any) -> Any:
    """JSON documents kept as strings (containerDefinitions, policies) compare by content."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _absent(value: Any) -> bool:
    return value is MISSING or value is None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def diff_values(path: str, old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    """Leaf-level differences between two JSON-like values, as (path, old, new)."""
    old, new = _unwrap(old), _unwrap(new)
    if _absent(old) and _absent(new):
        return []
    if old == new:
        return []
    old_d, new_d = _decoded(old), _decoded(new)
    if old_d is not old or new_d is not new:
        if old_d == new_d:
            return []
        if isinstance(old_d, (dict, list)) and isinstance(new_d, (dict, list)):
            return diff_values(path, old_d, new_d)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new)):
            out += diff_values(_join(path, key), old.get(key, MISSING), new.get(key, MISSING))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += diff_values(f"{path}[{i}]", a, b)
        return out
    return [(path, old, new)]


def _ignored(path: str, ignore_changes: Iterable[str]) -> bool:
    plain = replacements._strip_indices(path)
    return any(plain == i or plain.startswith(i + ".") for i in ignore_changes)


def _property_changes(
    res_type: str, old_inputs: Mapping, new_inputs: Mapping, ignore_changes: Iterable[str]
) -> list[PropertyChange]:
    return [
        PropertyChange(path, o, n, replacements.forces_replacement(res_type, path))
        for path, o, n in diff_values("", old_inputs, new_inputs)
        if not _ignored(path, ignore_changes)
    ]


def _action(changes: Iterable[PropertyChange]) -> Action:
    changes = list(changes)
    if any(c.forces_replacement for c in changes):
        return "replace"
    return "update" if changes else "same"


# -- knock-on effects -----------------------------------------------------------------------


def _leaf_paths_equal_to(path: str, value: Any, target: Any) -> list[tuple[str, Any]]:
    """Paths under `value` whose leaf equals `target` (numbers and their strings match)."""
    value = _unwrap(value)
    if isinstance(value, Mapping):
        return [hit for k, v in value.items() for hit in _leaf_paths_equal_to(_join(path, k), v, target)]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in _leaf_paths_equal_to(f"{path}[{i}]", v, target)]
    if value == target or (value is not None and str(value) == str(target)):
        return [(path, value)]
    return []


def _knock_on(dependent: ResourceChange, source: ResourceChange) -> list[PropertyChange]:
    """Inputs of `dependent` whose new value is unknown because of what happens to `source`."""
    new = dependent.new
    found: list[PropertyChange] = []
    for prop, deps in (new.property_dependencies or {}).items():
        if source.new.urn not in deps or prop not in new.inputs:
            continue
        if source.action in ("replace", "create"):
            hits = [(prop, new.inputs[prop])]
        else:  # updated in place: only inputs that read a recomputed output change
            hits = [
                hit
                for out in replacements.VOLATILE_OUTPUTS.get(source.type, ())
                if out in (source.new.outputs or {})
                for hit in _leaf_paths_equal_to(prop, new.inputs[prop], source.new.outputs[out])
            ]
        for path, _ in hits:
            if _ignored(path, new.ignore_changes):
                continue
            old_value = _lookup(dependent.old.inputs, path)
            found.append(
                PropertyChange(
                    path, old_value, UNKNOWN, replacements.forces_replacement(dependent.type, path), cause=source.urn
                )
            )
    return found


def _lookup(inputs: Mapping, path: str) -> Any:
    value: Any = inputs
    for part in path.replace("[", ".[").split("."):
        if part.startswith("["):
            idx = int(part[1:-1])
            value = value[idx] if isinstance(value, list) and idx < len(value) else MISSING
        else:
            value = _unwrap(value).get(part, MISSING) if isinstance(_unwrap(value), Mapping) else MISSING
    return value


def _propagate(changes: dict[str, ResourceChange]) -> None:
    """Apply knock-on changes until nothing new turns up (replacements can cascade)."""
    done: set[tuple[str, str, str]] = set()
    while True:
        grew = False
        sources = [
            c
            for c in changes.values()
            if c.new is not None
            and (
                c.action in ("replace", "create") or (c.action == "update" and c.type in replacements.VOLATILE_OUTPUTS)
            )
        ]
        for source in sources:
            for urn, dependent in list(changes.items()):
                if dependent.old is None or dependent.new is None or (source.urn, source.action, urn) in done:
                    continue
                extra = _knock_on(dependent, source)
                if not extra:
                    continue
                done.add((source.urn, source.action, urn))
                seen = {p.path for p in dependent.properties}
                props = dependent.properties + tuple(p for p in extra if p.path not in seen)
                changes[urn] = replace(dependent, properties=props, action=_action(props))
                grew = True
        if not grew:
            return


# -- entry point ------------------------------------------------------------------------------


def diff_resources(
    old: Iterable[Any], new: Iterable[Any], urn_key: Callable[[str], str] = lambda urn: urn
) -> MigrationDiff:
    """Compare two RenderedResource lists (custom resources only; components carry no inputs).

    `urn_key` maps a URN to the identity used for matching (e.g. to drop the stack name when
    the two sides were rendered as different stacks).
    """
    old_by = {urn_key(r.urn): r for r in old if r.custom}
    new_by = {urn_key(r.urn): r for r in new if r.custom}
    changes: dict[str, ResourceChange] = {}
    for key in sorted(set(old_by) | set(new_by)):
        o, n = old_by.get(key), new_by.get(key)
        ref = n or o
        assert ref is not None  # the key came from one side or the other
        if o is None:
            changes[key] = ResourceChange(key, ref.type, ref.name, "create", new=n)
        elif n is None:
            changes[key] = ResourceChange(key, ref.type, ref.name, "delete", old=o)
        else:
            props = tuple(_property_changes(ref.type, o.inputs, n.inputs, n.ignore_changes))
            changes[key] = ResourceChange(key, ref.type, ref.name, _action(props), props, old=o, new=n)
    _propagate(changes)
    unknown = sorted({c.type for c in changes.values() if replacements.rule_for(c.type) is None})
    return MigrationDiff(changes=list(changes.values()), unknown_types=unknown)
