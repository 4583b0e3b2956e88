"""Following links between resources in a stack policy.

Links come from the dependency graph the engine sends with AnalyzeStack (plain and
per-property dependencies), not from ids or ARNs: those are unknown during the preview of a
new stack, while dependencies are always known.
"""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import PolicyResource


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


def dependencies(resource: PolicyResource) -> list[PolicyResource]:
    """Everything the resource depends on, plain or through a property, each once."""
    seen: dict[str, PolicyResource] = {}
    for dep in resource.dependencies:
        seen.setdefault(dep.urn, dep)
    for deps in resource.property_dependencies.values():
        for dep in deps:
            seen.setdefault(dep.urn, dep)
    return list(seen.values())


def depends_on(resource: PolicyResource, target: PolicyResource) -> bool:
    return any(dep.urn == target.urn for dep in dependencies(resource))


def linked(resource: PolicyResource, resources: list[PolicyResource], *types: str) -> list[PolicyResource]:
    """The resources of `types` that `resource` depends on. When the graph has no such link
    and the stack holds exactly one resource of those types, that one (a hand-written
    program may pass a literal name instead of an output)."""
    found = [dep for dep in dependencies(resource) if dep.resource_type in types]
    if found:
        return found
    candidates = of_type(resources, *types)
    return candidates if len(candidates) == 1 else []


def dependents(target: PolicyResource, resources: list[PolicyResource], *types: str) -> list[PolicyResource]:
    """The resources of `types` that depend on `target`."""
    return [r for r in of_type(resources, *types) if depends_on(r, target)]
