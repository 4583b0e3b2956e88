"""The built-in instance catalog: vCPU, memory, price, architecture and class per type.

The figures live in instance_catalog.json (source and date noted there); the policy pack
ships a generated copy of that file, so both sides read the same numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

CATALOG_PATH = Path(__file__).with_name("instance_catalog.json")

Architecture = Literal["x86_64", "arm64"]
InstanceClass = Literal["compute", "burstable", "general", "memory"]

# Size steps in order, for "go down one step at a time" advice.
SIZE_ORDER = ("small", "medium", "large", "xlarge", "2xlarge", "4xlarge")


@dataclass(frozen=True)
class InstanceSpec:
    vcpu: int
    memory_mib: int
    hourly_usd: float
    arch: Architecture
    instance_class: InstanceClass = "compute"


@cache
def catalog() -> dict[str, InstanceSpec]:
    raw = json.loads(CATALOG_PATH.read_text())["instanceTypes"]
    return {
        name: InstanceSpec(
            vcpu=v["vcpu"],
            memory_mib=v["memoryMib"],
            hourly_usd=v["hourlyUsd"],
            arch=v["arch"],
            instance_class=v["instanceClass"],
        )
        for name, v in raw.items()
    }


def family(instance_type: str) -> str:
    """'c6a.xlarge' -> 'c6a'."""
    return instance_type.split(".", 1)[0]


def size(instance_type: str) -> str:
    """'c6a.xlarge' -> 'xlarge'."""
    return instance_type.split(".", 1)[1] if "." in instance_type else ""
