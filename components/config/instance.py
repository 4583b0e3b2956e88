"""An instance type's facts: what the stack may state about a type outside the catalog, and
what AWS answers for any type (DescribeInstanceTypes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from guide.catalog import Architecture


class InstanceSpecs(BaseModel):
    """Facts for an instance type outside the built-in catalog: its on-demand price, which
    AWS's DescribeInstanceTypes does not return (the cost estimate needs it), and optionally
    vCPU, memory and architecture, which a deployed stack asks AWS for (getInstanceType) and
    only the offline engine needs from here."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)

    hourly_usd: Annotated[float, Field(ge=0)]
    vcpu: Annotated[int, Field(ge=1, le=448)] | None = None
    memory_mib: Annotated[int, Field(ge=512)] | None = None
    arch: Literal["x86_64", "arm64"] | None = None


@dataclass(frozen=True)
class Hardware:
    """What AWS answers for an instance type (ec2:DescribeInstanceTypes)."""

    vcpu: int
    memory_mib: int
    arch: Architecture


# instance type -> its Hardware, or ConfigError (one line) when it cannot be described.
DescribeInstanceType = Callable[[str], Hardware]
