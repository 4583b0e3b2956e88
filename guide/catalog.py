"""The built-in instance catalog: what AWS does not answer, and what offline tools need.

instance_catalog.json holds the on-demand price (AWS's DescribeInstanceTypes returns none,
so the cost estimate needs it) and vCPU, memory and architecture, which a deployed stack
asks AWS for instead (aws.ec2.getInstanceType) but the offline engine and the policy pack
cannot; its "sources" say where each figure comes from. The class is not stored: it is read
from the name (instance_types.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from .instance_types import InstanceClass, instance_class

CATALOG_PATH = Path(__file__).with_name("instance_catalog.json")

Architecture = Literal["x86_64", "arm64"]


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
            instance_class=instance_class(name),
        )
        for name, v in raw.items()
    }


def sources() -> dict[str, str]:
    """Where each figure of the catalog comes from, per field."""
    return dict(json.loads(CATALOG_PATH.read_text())["sources"])


def family(instance_type: str) -> str:
    """'c6a.xlarge' -> 'c6a'."""
    return instance_type.split(".", 1)[0]


def size(instance_type: str) -> str:
    """'c6a.xlarge' -> 'xlarge'."""
    return instance_type.split(".", 1)[1] if "." in instance_type else ""
