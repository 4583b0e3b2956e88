"""What the policy client exchanges with its callers: verdicts, the pack's policies, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class PolicyError(Exception):
    """Bad policy config or a pack that cannot run; str(e) is one line for the user."""


class Resource(Protocol):
    """What the client needs of a previewed resource (commands.engine.RenderedResource); read-only, as
    the engine's frozen records are."""

    @property
    def urn(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def parent(self) -> str | None: ...

    @property
    def custom(self) -> bool: ...

    @property
    def inputs(self) -> dict: ...

    @property
    def outputs(self) -> dict: ...

    @property
    def dependencies(self) -> tuple[str, ...]: ...

    @property
    def property_dependencies(self) -> dict[str, tuple[str, ...]]: ...

    @property
    def protect(self) -> bool: ...

    @property
    def delete_before_replace(self) -> bool: ...

    @property
    def ignore_changes(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Verdict:
    """One diagnostic, as the CLI prints it: policy, level, resource and message."""

    policy: str
    level: str
    urn: str  # "" for a stack-level finding not tied to a resource
    description: str
    message: str  # what the policy said, without the description the SDK prefixes
    severity: str = ""  # low, medium, high, critical ("" when the policy declares none)

    @property
    def resource(self) -> str:
        return self.urn.rsplit("::", 1)[-1] if self.urn else "(stack)"

    @property
    def blocking(self) -> bool:
        return self.level == "mandatory"

    def as_dict(self) -> dict[str, str]:
        return {
            "policy": self.policy,
            "level": self.level,
            "severity": self.severity,
            "resource": self.resource,
            "urn": self.urn,
            "description": self.description,
            "message": self.message,
        }


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    level: str
    properties: dict[str, dict] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    # What the Pulumi Cloud console and the CLI show next to a violation.
    severity: str = ""
    remediation_steps: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    framework: str = ""  # "name: reference"
