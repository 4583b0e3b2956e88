"""Policy verdicts for a migration's target, through the analyzer client when it is there.

The target is checked as the TO stack (stack-specific policy settings such as "burstable
allowed on light" follow the stack whose settings are applied). Without the client or the
pack, migrate still answers and says the check did not run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from commands.engine import StackPreview
from commands.policy_client import EXAMPLE_POLICY_CONFIG, PolicyError, check, load_policy_config

NOT_AVAILABLE = "policy pack not available"


@dataclass(frozen=True)
class PolicyViolation:
    policy: str
    enforcement_level: str
    resource: str
    message: str


@dataclass(frozen=True)
class PolicyReport:
    available: bool
    message: str
    violations: tuple[PolicyViolation, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> bool:
        return any(v.enforcement_level == "mandatory" for v in self.violations)


def evaluate(
    preview: StackPreview,
    stack: str,
    config: Mapping[str, str] | None = None,
    policy_config_path: str | None = None,
) -> PolicyReport:
    path = policy_config_path or EXAMPLE_POLICY_CONFIG
    try:
        policy_config: Mapping[str, Any] = load_policy_config(path)
        verdicts = check(
            preview.resources, stack=stack, project=preview.project, config=config, policy_config=policy_config
        )
    except PolicyError as err:
        if policy_config_path:
            raise  # the user's file: a bad one is bad input
        return PolicyReport(False, f"{NOT_AVAILABLE}: {err}")
    return PolicyReport(
        True,
        f"pack run as stack {stack} with {path}",
        tuple(PolicyViolation(v.policy, v.level, v.resource, v.message) for v in verdicts),
    )
