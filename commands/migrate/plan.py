"""A migration, analysed: both sides rendered, the diff, data safety, rollout, advice and policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from commands.engine import PROJECT, EngineError, StackPreview, run_program, stack_config

from . import advice as migrate_advice
from . import policy as migrate_policy
from . import safety as migrate_safety
from .advice import Advice
from .bindings import binding_changes
from .diff import MigrationDiff, diff_resources
from .policy import PolicyReport
from .rollout import RolloutPlan, plan_rollout
from .safety import SafetyVerdict

EXIT_OK, EXIT_DATA_AT_RISK, EXIT_BLOCKED = 0, 3, 4
REGION_KEY = "aws:region"


@dataclass
class Migration:
    source: str  # "light", or "heavy" for a --stack move
    target: str  # "heavy", or "heavy + instanceType=c6a.2xlarge"
    before: StackPreview
    after: StackPreview
    diff: MigrationDiff
    safety: SafetyVerdict
    rollout: RolloutPlan
    advice: list[Advice]
    policy: PolicyReport
    kept_keys: list[str] = field(default_factory=list)

    @property
    def blocking_reasons(self) -> list[str]:
        return [a.message for a in self.advice if a.level == "error"] + [
            f"mandatory policy {v.policy} fails on the target"
            for v in self.policy.violations
            if v.enforcement_level == "mandatory"
        ]

    @property
    def blocked(self) -> bool:
        return bool(self.blocking_reasons)

    @property
    def exit_code(self) -> int:
        if self.safety.at_risk:
            return EXIT_DATA_AT_RISK
        return EXIT_BLOCKED if self.blocked else EXIT_OK


def analyse(
    before: StackPreview,
    after: StackPreview,
    *,
    source: str,
    target: str,
    region_before: str | None = None,
    region_after: str | None = None,
    kept_keys: list[str] | None = None,
    policy: PolicyReport | None = None,
) -> Migration:
    """Everything migrate reports, from two rendered sides (tests hand in mutated ones)."""
    diff = diff_resources(before.resources, after.resources)
    advice = migrate_advice.guide_advice(before.config, after.config, after.stack) + migrate_advice.architecture_checks(
        before, after
    )
    advice += binding_changes(before.config, after.config)
    return Migration(
        source=source,
        target=target,
        before=before,
        after=after,
        diff=diff,
        safety=migrate_safety.assess(diff, region_before, region_after),
        rollout=plan_rollout(diff, before, after),
        advice=advice,
        policy=policy or PolicyReport(False, "policy check not requested"),
        kept_keys=kept_keys or [],
    )


def _full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def render_sides(
    *,
    stack: str | None,
    from_stack: str | None,
    to_stack: str | None,
    overrides: dict[str, str],
    policy_config: str | None = None,
    deployed: dict[str, str] | None = None,
) -> Migration:
    """Run the engine for both sides (and the policy pack on the target). `deployed`: keys in
    which the current stack differs from its file (with --stack: say, a rotation already
    under way), applied to both sides.

    Raises EngineError for an unknown stack, a key config does not know or a value it rejects.
    """
    label = "".join(f" + {k}={v}" for k, v in overrides.items())
    deployed = deployed or {}
    if stack is not None:
        source = stack + "".join(f" + {k}={v}" for k, v in deployed.items())
        target, policy_stack = source + label, stack
        target_settings = {**deployed, **overrides}
    elif from_stack is not None and to_stack is not None:
        stack, source, target, policy_stack = from_stack, from_stack, to_stack + label, to_stack
        target_settings = {**stack_config(to_stack), **overrides}
    else:
        raise EngineError("give --from STACK --to STACK, or --stack STACK --set KEY=VALUE")
    current = stack_config(stack, deployed)
    target_config = stack_config(stack, target_settings)
    # Keys only the source sets stay as they are: the move changes what the target sets.
    set_by_target = {_full_key(k) for k in target_settings}
    kept = sorted(k for k in current if k not in set_by_target) if to_stack else []
    before = run_program(stack, deployed) if deployed else run_program(stack)
    after = run_program(stack, target_settings)
    policy = migrate_policy.evaluate(after, policy_stack, target_config, policy_config)
    return analyse(
        before,
        after,
        source=source,
        target=target,
        region_before=current.get(REGION_KEY),
        region_after=target_config.get(REGION_KEY),
        kept_keys=kept,
        policy=policy,
    )
