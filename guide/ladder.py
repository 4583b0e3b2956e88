"""The size ladder: instance sizes in order, and the guide's staged path between two types
("change the instance type in stages: c6a.xlarge -> c6a.large -> t3.medium"), one size step
at a time. `make migrate` prints the path; the advisor takes its first step."""

from __future__ import annotations

from .catalog import catalog, family, size
from .profiles import SMALLEST_INSTANCE_TYPE

# Size steps in order.
SIZE_ORDER = ("small", "medium", "large", "xlarge", "2xlarge", "4xlarge")
# Where a burstable type goes when it is too small: the guide's compute-optimized family.
COMPUTE_FAMILY = "c6a"


def size_index(instance_type: str) -> int | None:
    s = size(instance_type)
    return SIZE_ORDER.index(s) if s in SIZE_ORDER else None


def downgrade_stages(from_type: str, to_type: str) -> list[str]:
    """Instance types to pass through, one size step at a time (the guide's staged rollback).

    Each intermediate step keeps the current family while the catalog has that size, then
    switches to the target family: c6a.xlarge -> t3.small gives c6a.large, t3.medium.
    """
    start, end = size_index(from_type), size_index(to_type)
    if start is None or end is None or start - end <= 1:
        return []
    known = catalog()
    stages = []
    for idx in range(start - 1, end, -1):
        step = SIZE_ORDER[idx]
        for fam in (family(from_type), family(to_type)):
            candidate = f"{fam}.{step}"
            if candidate in known:
                stages.append(candidate)
                break
    return stages


def next_size_up(instance_type: str) -> str | None:
    """The next bigger type: same family one size up; a burstable type moves to the
    compute-optimized family at no less vCPU and memory (the guide: "100% sustained CPU")."""
    known = catalog()
    spec = known.get(instance_type)
    if spec is None:
        return None
    if spec.instance_class == "burstable":
        candidates = [
            (s.hourly_usd, name)
            for name, s in known.items()
            if family(name) == COMPUTE_FAMILY and s.vcpu >= spec.vcpu and s.memory_mib >= spec.memory_mib
        ]
        return min(candidates)[1] if candidates else None
    index = size_index(instance_type)
    if index is None:
        return None
    for bigger in SIZE_ORDER[index + 1 :]:
        candidate = f"{family(instance_type)}.{bigger}"
        if candidate in known:
            return candidate
    return None


def next_size_down(instance_type: str) -> str | None:
    """One step of the guide's staged downgrade (c6a.xlarge -> c6a.large -> t3.medium ->
    t3.small), from the same path `make migrate` prints for a multi-step move."""
    here, floor = size_index(instance_type), size_index(SMALLEST_INSTANCE_TYPE)
    if here is None or floor is None or here <= floor:
        return None
    stages = downgrade_stages(instance_type, SMALLEST_INSTANCE_TYPE)
    return stages[0] if stages else SMALLEST_INSTANCE_TYPE
