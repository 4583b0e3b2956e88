"""One recommendation from the rules' verdicts: stay, scale up to a named type, scale out,
raise EFS throughput, or downgrade one size step; with the `make migrate` command that
previews it and the monthly cost change (pure: the stack file and the catalog, no AWS).

Order, when several rules fire: CPU or memory evidence means the instance is too small
(scale up); otherwise an EFS at its I/O limit explains slow or failing requests better than
the instance does (the guide's high-latency checklist looks at EFS first); otherwise errors
or latency in normal traffic still mean scale up; tasks pinned at the scaling maximum, or
scaling out for everyday traffic, mean scale out; and only when nothing fires, every rule
that could call for more capacity was judged, and the smaller type carries the bursts too,
may a stack go down one step.

Rules that could not be judged are named in every recommendation, with the reason; a stay
that rests on them says it is no clean bill of health.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from commands.engine import EngineError, stack_config
from components.config import ConfigError, PypiServerConfig, load_config
from guide.catalog import catalog
from guide.ladder import COMPUTE_FAMILY, next_size_down, next_size_up
from guide.thresholds import MAX_INSTANCES

from .rules import MIN_DATA_DAYS, DowngradeStep, Evaluation, Group, RuleResult

Action = Literal["not enough data", "stay", "scale up", "scale out", "raise EFS throughput", "downgrade"]

# Provisioned throughput for an elastic file system at its limit: twice the busiest period.
PROVISIONED_HEADROOM = 2.0
MAX_PROVISIONED_MIBPS = 3414


@dataclass(frozen=True)
class Recommendation:
    action: Action
    settings: dict[str, str] = field(default_factory=dict)
    reasoning: list[str] = field(default_factory=list)
    command: str | None = None
    cost_before: float | None = None
    cost_after: float | None = None
    could_not_judge: dict[str, str] = field(default_factory=dict)  # rule -> why

    @property
    def cost_delta(self) -> float | None:
        if self.cost_before is None or self.cost_after is None:
            return None
        return round(self.cost_after - self.cost_before, 2)


def downgrade_step(stack: str) -> DowngradeStep | None:
    """The next size down for the stack, with how much more of it the same CPU load takes:
    ECS's CPUUtilization is a share of the CPU the tasks reserve, so the same load on the
    same number of instances is the ratio of CPU units reserved per instance on each type."""
    cfg = _config(stack)
    target = next_size_down(cfg.instance_type)
    if target is None:
        return None
    try:
        smaller = _config(stack, {"instanceType": target})
    except (ConfigError, EngineError):
        return None
    here = cfg.capacity.tasks_per_instance * cfg.task_cpu_units
    there = smaller.capacity.tasks_per_instance * smaller.task_cpu_units
    return DowngradeStep(
        cfg.instance_type,
        target,
        here / there,
        f"{cfg.instance_type} holds {cfg.capacity.tasks_per_instance} tasks x {cfg.task_cpu_units} CPU units per "
        f"instance, {target} {smaller.capacity.tasks_per_instance} x {smaller.task_cpu_units}",
    )


def migrate_command(stack: str, settings: dict[str, str]) -> str:
    pairs = " ".join(f"{k}={v}" for k, v in settings.items())
    return f'make migrate STACK={stack} SET="{pairs}"'


def _config(stack: str, settings: dict[str, str] | None = None) -> PypiServerConfig:
    return load_config(stack_config(stack, settings))


def _with_cost(stack: str, action: Action, settings: dict[str, str], reasoning: list[str]) -> Recommendation:
    before = _config(stack)
    try:
        after = _config(stack, settings)
    except (ConfigError, EngineError) as err:
        return Recommendation(
            "stay",
            {},
            [*reasoning, f"but the stack cannot take {settings}: {err}"],
            None,
            before.monthly_cost.total,
            before.monthly_cost.total,
        )
    return Recommendation(
        action,
        settings,
        reasoning,
        migrate_command(stack, settings),
        before.monthly_cost.total,
        after.monthly_cost.total,
    )


def _scale_up(stack: str, cfg: PypiServerConfig, reasons: list[str]) -> Recommendation:
    target = next_size_up(cfg.instance_type)
    if target is None:
        return _scale_out(
            stack, cfg, [*reasons, f"{cfg.instance_type} has no bigger size in the catalog: add instances instead"]
        )
    why = [*reasons, f"next size up from {cfg.instance_type} is {target}"]
    if catalog()[cfg.instance_type].instance_class == "burstable":
        why.append(
            f"{cfg.instance_type} is burstable (CPU credits); the guide recommends compute-optimized "
            f"{COMPUTE_FAMILY} for sustained load"
        )
    return _with_cost(stack, "scale up", {"instanceType": target}, why)


def _scale_out(stack: str, cfg: PypiServerConfig, reasons: list[str]) -> Recommendation:
    """One instance more at both ends of the ASG; the task range follows the guide's formulas
    (and explicit task counts move by one instance's worth of tasks). Past the guide's four
    instances, fewer and beefier wins: scale up instead, when there is a bigger type."""
    if cfg.asg_max_size + 1 > MAX_INSTANCES and next_size_up(cfg.instance_type):
        return _scale_up(
            stack,
            cfg,
            [
                *reasons,
                f"one instance more would make the ASG max {cfg.asg_max_size + 1}, "
                f"beyond the guide's 2-{MAX_INSTANCES} instances (fewer, "
                "beefier): a bigger type holds more tasks instead",
            ],
        )
    settings = {"asgMinSize": str(cfg.asg_min_size + 1), "asgMaxSize": str(cfg.asg_max_size + 1)}
    per_instance = cfg.capacity.tasks_per_instance
    if cfg.task_min_count is not None:
        settings["taskMinCount"] = str(cfg.task_min_count + per_instance)
    if cfg.task_max_count is not None:
        settings["taskMaxCount"] = str(cfg.task_max_count + per_instance)
    why = [
        *reasons,
        f"one instance more ({cfg.asg_min_size}-{cfg.asg_max_size} -> "
        f"{cfg.asg_min_size + 1}-{cfg.asg_max_size + 1}), {per_instance} more task slots",
    ]
    return _with_cost(stack, "scale out", settings, why)


def _raise_efs(stack: str, cfg: PypiServerConfig, evaluation: Evaluation, reasons: list[str]) -> Recommendation:
    mode = evaluation.facts.get("efsThroughputMode") or cfg.efs_throughput_mode
    if mode != "elastic":
        return _with_cost(
            stack,
            "raise EFS throughput",
            {"efsThroughputMode": "elastic"},
            [*reasons, f"the file system runs in {mode} mode; the guide's default and recommendation is elastic"],
        )
    peak = evaluation.facts.get("efsPeakMibps")
    if not isinstance(peak, (int, float)) or not peak:
        return Recommendation(
            "stay",
            {},
            [
                *reasons,
                "already elastic and no metered throughput to size "
                "provisioned throughput from: check the EFS metrics by hand",
            ],
        )
    mibps = min(MAX_PROVISIONED_MIBPS, max(1, math.ceil(peak * PROVISIONED_HEADROOM)))
    return _with_cost(
        stack,
        "raise EFS throughput",
        {"efsThroughputMode": "provisioned", "efsProvisionedThroughputMibps": str(mibps)},
        [
            *reasons,
            f"already elastic: the guide's next step is provisioned throughput; "
            f"{mibps} MiB/s is {PROVISIONED_HEADROOM:g} x the busiest period's "
            f"{peak:.1f} MiB/s",
        ],
    )


def _because(evaluation: Evaluation, group: Group) -> list[str]:
    return [_measured(r) for r in evaluation.firing(group)]


def _measured(r: RuleResult) -> str:
    return f"{r.guide}: measured {r.describe_measured()} ({r.detail})"


def _unjudged_lines(unjudged: list[RuleResult]) -> list[str]:
    return [f"could not judge {r.key} ({r.guide}): {r.could_not_judge}" for r in unjudged]


def recommend(stack: str, evaluation: Evaluation) -> Recommendation:
    cfg = _config(stack)
    cost = cfg.monthly_cost.total
    if not evaluation.enough_data:
        missing = max(0.0, MIN_DATA_DAYS - evaluation.days_with_data)
        return Recommendation(
            "not enough data",
            {},
            [
                f"only {evaluation.days_with_data:.1f} days of service metrics in the last {evaluation.window_days:g} "
                f"days; the guide's rules need at least {MIN_DATA_DAYS:g} days (48 h, its monitoring window per "
                f"size step): run again in {missing:.1f} days"
            ],
            None,
            cost,
            cost,
        )
    unjudged = evaluation.unjudged
    rec = _decide(stack, cfg, evaluation)
    if not unjudged:
        return rec
    return replace(
        rec,
        reasoning=[*rec.reasoning, *_unjudged_lines(unjudged)],
        could_not_judge={r.key: r.could_not_judge or "" for r in unjudged},
    )


def _decide(stack: str, cfg: PypiServerConfig, evaluation: Evaluation) -> Recommendation:
    cost = cfg.monthly_cost.total
    scale_up = evaluation.firing("scale up")
    resource_bound = [r for r in scale_up if r.key in ("cpu-sustained", "memory-pressure")]
    if resource_bound:
        reasons = _because(evaluation, "scale up")
        if any(r.key == "memory-pressure" for r in resource_bound):
            reasons.append(
                f"the guide's alternative for memory: raise containerMemory (now {cfg.container_memory} "
                "MiB; fewer tasks per instance), previewed the same way"
            )
        return _scale_up(stack, cfg, reasons)
    if evaluation.firing("EFS throughput"):
        return _raise_efs(
            stack, cfg, evaluation, _because(evaluation, "EFS throughput") + _because(evaluation, "scale up")
        )
    if scale_up:
        return _scale_up(stack, cfg, _because(evaluation, "scale up"))
    if evaluation.firing("scale out"):
        return _scale_out(stack, cfg, _because(evaluation, "scale out"))

    def stay(*why: str) -> Recommendation:
        return Recommendation("stay", {}, list(why), None, cost, cost)

    blind = [r for r in evaluation.unjudged if r.group != "downgrade"]
    nothing_fires = (
        "no scale-up, scale-out or EFS rule fires"
        if not blind
        else f"no judged scale-up, scale-out or EFS rule fires, but {len(blind)} could not be judged: "
        "not a clean bill of health"
    )
    downgrade = [r for r in evaluation.rules if r.group == "downgrade" and r.applicable]
    target = next_size_down(cfg.instance_type)
    if target is None:
        return stay(nothing_fires, f"{cfg.instance_type} is already the guide's smallest size step")
    bursts = [r for r in downgrade if r.key.startswith("downgrade-burst")]
    rest = [r for r in downgrade if r not in bursts]
    if all(r.fires for r in downgrade):
        if blind:
            return stay(
                nothing_fires, f"no downgrade to {target} while a rule that could call for more capacity is not judged"
            )
        return _with_cost(
            stack,
            "downgrade",
            {"instanceType": target},
            [
                *(_measured(r) for r in downgrade),
                f"one size step down: {cfg.instance_type} -> {target}; watch it 24-48 h before the next step",
            ],
        )
    if all(r.fires for r in rest):
        return stay(
            nothing_fires,
            f"downgrade to {target} refused: quiet outside bursts, but the bursts need {cfg.instance_type}",
            *(_measured(r) for r in bursts if not r.fires),
        )
    unmet = [
        f"{r.guide}: {r.verdict if r.could_not_judge else r.describe_measured()}" for r in downgrade if not r.fires
    ]
    return stay(nothing_fires, "not small enough to downgrade: " + "; ".join(unmet))
