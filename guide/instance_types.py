"""EC2 instance type names, read by AWS's own naming convention (pure, stdlib only).

AWS documents the convention in "Amazon EC2 instance type naming conventions"
(docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html): a name is
`<series><generation><options>[-<variant>].<size>`, e.g. `c7gn.xlarge`, `c7i-flex.large`,
`u7i-12tb.224xlarge`. The series letters say what the instance is for (c: compute
optimized, m: general purpose, r/x/z/u: memory, t: burstable, i/d/h: storage, g/p/...:
accelerated); the options add the processor (a AMD, g Graviton, i Intel) and capabilities
(d instance store, n network, e extra memory or storage, z high frequency, b block storage,
flex). Reading the name, rather than keeping a list of families, means a family AWS
launches tomorrow (c9a, c8gd, ...) is classified without a code change.

Shared by the component and the policy pack (which ships a generated copy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

InstanceClass = Literal["compute", "general", "burstable", "memory", "storage", "accelerated", "hpc", "unknown"]

# Series letters -> class, from the convention's "instance families" list; the previous
# generation's cluster series (cc, cg, cr) and storage series (hi, hs) are AWS's too.
SERIES_CLASS: dict[str, InstanceClass] = {
    "c": "compute",
    "cc": "compute",
    "m": "general",
    "a": "general",
    "mac": "general",
    "t": "burstable",
    "r": "memory",
    "x": "memory",
    "z": "memory",
    "u": "memory",
    "cr": "memory",
    "i": "storage",
    "im": "storage",
    "is": "storage",
    "d": "storage",
    "h": "storage",
    "hi": "storage",
    "hs": "storage",
    "g": "accelerated",
    "gr": "accelerated",
    "p": "accelerated",
    "f": "accelerated",
    "inf": "accelerated",
    "trn": "accelerated",
    "dl": "accelerated",
    "vt": "accelerated",
    "cg": "accelerated",
    "hpc": "hpc",
}

# Option letters after the generation (the convention's "additional capabilities").
OPTION_MEANING = {
    "a": "AMD processor",
    "g": "AWS Graviton processor",
    "i": "Intel processor",
    "b": "block storage optimized",
    "d": "local NVMe instance store",
    "e": "extra storage or memory",
    "n": "network and EBS optimized",
    "q": "Qualcomm inference accelerators",
    "z": "high frequency",
    "s": "smaller GPU share",
    "f": "fractional GPU",
    "h": "high memory",
    "u": "UltraServer",
}

NAME_FORMAT = "<series><generation><options>[-<variant>].<size>, e.g. c7i.large or c7i-flex.xlarge"

_NAME = re.compile(
    r"^(?P<series>[a-z]+)(?P<generation>\d*)(?P<options>[a-z]*)(?P<variant>(?:-[a-z0-9]+)*)"
    r"\.(?P<size>[a-z0-9]+(?:-[a-z0-9]+)*)$"
)


class InstanceTypeNameError(ValueError):
    """A string that is not an EC2 instance type name; str() is one line for the user."""


@dataclass(frozen=True)
class InstanceTypeName:
    name: str
    series: str
    generation: int | None  # None for the few names without one (u-6tb1, mac-m4)
    options: str
    variant: str  # "-flex", "-12tb", "" ...
    size: str

    @property
    def family(self) -> str:
        """'c7i-flex.large' -> 'c7i-flex' (what EC2's console calls the family)."""
        return self.name.split(".", 1)[0]

    @property
    def instance_class(self) -> InstanceClass:
        return SERIES_CLASS.get(self.series, "unknown")

    @property
    def flex(self) -> bool:
        return self.variant == "-flex"

    @property
    def capabilities(self) -> tuple[str, ...]:
        """What the option letters say, in order; unknown letters are kept as they are."""
        return tuple(OPTION_MEANING.get(letter, letter) for letter in self.options)


def parse(instance_type: object) -> InstanceTypeName:
    """Split a name by the naming convention; InstanceTypeNameError if it does not follow it."""
    if not isinstance(instance_type, str) or not instance_type:
        raise InstanceTypeNameError(f"{instance_type!r} is not an EC2 instance type name ({NAME_FORMAT})")
    match = _NAME.match(instance_type)
    if match is None:
        raise InstanceTypeNameError(f"{instance_type!r} is not an EC2 instance type name ({NAME_FORMAT})")
    generation = match["generation"]
    return InstanceTypeName(
        name=instance_type,
        series=match["series"],
        generation=int(generation) if generation else None,
        options=match["options"],
        variant=match["variant"],
        size=match["size"],
    )


def instance_class(instance_type: str) -> InstanceClass:
    """The class the name's series letters give; raises InstanceTypeNameError if unparseable."""
    return parse(instance_type).instance_class
