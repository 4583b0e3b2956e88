"""How a move rolls out: instance refresh, ECS deployment, capacity, and how long it is partial.

Everything is read from what the stacks render: the ASG's instanceRefresh preferences, the
service's deployment settings and circuit breaker, the target group's health check and
deregistration delay, and the capacity math each side exports. The timing model is coarse
on purpose; its assumptions travel with the result so a reader can redo the sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from guide.type_tokens import ASG, ECS_SERVICE, ECS_TASK_DEFINITION, LAUNCH_TEMPLATE, TARGET_GROUP

from .diff import MigrationDiff, ResourceChange

# Assumptions the timing model cannot read from the stack.
INSTANCE_BOOT_SECONDS = 180  # EC2 launch + boot of the ECS-optimized AMI + agent registration
TASK_START_SECONDS = 60  # image pull on a fresh instance + container start
# How long a drained task's containers take to exit after their stop signal (nothing in flight:
# nginx and gunicorn stop gracefully at once); the agent's stop timeout is only the bound.
CONTAINER_STOP_SECONDS = 30
# AWS defaults when a setting is not rendered (autoscaling and ECS API references).
DEFAULT_MIN_HEALTHY = 90
DEFAULT_MAX_HEALTHY = 100
DEFAULT_DEPLOY_MIN, DEFAULT_DEPLOY_MAX = 100, 200
DEFAULT_HEALTH = (5, 30)  # ALB healthy threshold, interval (s)
DEFAULT_DEREGISTRATION_DELAY = 300

CAPACITY_FIELDS = (
    "instanceType",
    "tasksPerInstance",
    "limitedBy",
    "taskMin",
    "taskMax",
    "workersPerTask",
    "totalWorkers",
)


@dataclass(frozen=True)
class InstanceRefresh:
    why: str
    min_healthy_percent: int
    max_healthy_percent: int
    instance_warmup_seconds: int
    instances: int
    batch_size: int
    batches: int

    @property
    def launch_before_terminate(self) -> bool:
        return self.max_healthy_percent > 100


@dataclass(frozen=True)
class EcsDeployment:
    why: str
    min_healthy_percent: int
    max_percent: int
    circuit_breaker: bool
    rollback: bool
    desired_tasks: int
    spare_slots: int  # tasks the cluster holds at ASG max beyond the desired count, after the move
    waves: int


@dataclass(frozen=True)
class CapacityChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PartialCapacity:
    seconds: int  # how long fewer tasks serve than serve now
    lowest_serving_tasks: int
    serving_now: int  # the current desired count (task minimum at steady state)
    desired_tasks: int  # desired while the move rolls
    rollout_seconds: int  # until every instance and task is on the new shape
    assumptions: tuple[str, ...]


@dataclass
class RolloutPlan:
    instance_refresh: InstanceRefresh | None
    deployment: EcsDeployment | None
    capacity: list[CapacityChange]
    partial: PartialCapacity
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stalls: bool = False  # the refresh or the deployment cannot finish as configured


# -- reading rendered settings -------------------------------------------------------------


def _num(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _int(value: Any, default: int) -> int:
    return int(_num(value, default))


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def capacity_of(preview) -> dict[str, Any]:
    """The capacity math the component exports (config's computed properties as fallback)."""
    cap = dict(preview.outputs.get("capacity") or preview.config.capacity_summary())
    cap.setdefault("instanceType", preview.config.instance_type)
    return {k: _plain(v) for k, v in cap.items()}


def _changed_paths(change: ResourceChange | None) -> list[str]:
    return [p.path for p in change.properties] if change else []


def _first(diff: MigrationDiff, type_token: str) -> ResourceChange | None:
    found = diff.find(type_token)
    return found[0] if found else None


# -- the plan ---------------------------------------------------------------------------------


def _instance_refresh(diff: MigrationDiff, before, after, warnings: list[str]) -> InstanceRefresh | None:
    lt, asg = _first(diff, LAUNCH_TEMPLATE), _first(diff, ASG)
    lt_changed = lt is not None and lt.action in ("update", "replace")
    asg_template_changed = asg is not None and any(p.startswith("launchTemplate") for p in _changed_paths(asg))
    if lt_changed and not asg_template_changed:
        warnings.append(
            f"the launch template changes ({', '.join(_changed_paths(lt))}) but the ASG's launchTemplate does "
            "not (e.g. version '$Latest'): no instance refresh starts and running instances keep the old "
            "settings until they are replaced"
        )
        return None
    if not asg_template_changed or asg is None or asg.new is None:
        return None
    prefs = (asg.new.inputs.get("instanceRefresh") or {}).get("preferences") or {}
    min_h = _int(prefs.get("minHealthyPercentage"), DEFAULT_MIN_HEALTHY)
    max_h = _int(prefs.get("maxHealthyPercentage"), DEFAULT_MAX_HEALTHY)
    warmup = _int(prefs.get("instanceWarmup"), _int(asg.new.inputs.get("healthCheckGracePeriod"), 300))
    instances = before.config.asg_min_size
    if max_h > 100:  # launch replacements first, then terminate
        batch = max(1, math.floor(instances * (max_h - 100) / 100))
    else:  # terminate first, keeping min healthy % in service
        batch = max(1, instances - math.ceil(instances * min_h / 100))
    batch = min(batch, instances)
    if not (asg.new.inputs.get("instanceRefresh") or {}).get("strategy"):
        warnings.append(
            "the ASG has no instanceRefresh block: the new launch template applies only to "
            "instances launched from now on"
        )
        return None
    if asg.new.inputs.get("protectFromScaleIn") and prefs.get("scaleInProtectedInstances") != "Refresh":
        # ECS managed termination protection needs scale-in protection; a refresh then skips
        # (Ignore) or waits on (Wait) every instance unless told to refresh protected ones.
        warnings.append(
            "the ASG protects instances from scale-in but instanceRefresh.preferences.scaleInProtectedInstances is "
            f"{prefs.get('scaleInProtectedInstances') or 'unset (Ignore/Wait)'}: the refresh skips or waits on the "
            "old instances; set it to 'Refresh'"
        )
    why = "launch template " + (lt.name if lt else "") + (f": {', '.join(_changed_paths(lt))}" if lt else "")
    return InstanceRefresh(why, min_h, max_h, warmup, instances, batch, math.ceil(instances / batch))


def _deployment(diff: MigrationDiff, after, desired: int, spare: int) -> EcsDeployment | None:
    td, svc = _first(diff, ECS_TASK_DEFINITION), _first(diff, ECS_SERVICE)
    if svc is None or svc.new is None or not any(p.startswith("taskDefinition") for p in _changed_paths(svc)):
        return None
    inputs = svc.new.inputs
    min_p = _int(inputs.get("deploymentMinimumHealthyPercent"), DEFAULT_DEPLOY_MIN)
    max_p = _int(inputs.get("deploymentMaximumPercent"), DEFAULT_DEPLOY_MAX)
    breaker = inputs.get("deploymentCircuitBreaker") or {}
    extra = math.floor(desired * (max_p - 100) / 100)  # new tasks ECS may add above desired
    stop_first = desired - math.ceil(desired * min_p / 100)  # old tasks ECS may stop up front
    per_wave = min(extra, max(spare, 0)) + stop_first
    waves = math.ceil(desired / per_wave) if per_wave > 0 else 0
    why = f"task definition {td.name if td else ''} gets a new revision" + (
        f" ({', '.join(sorted({p.split('[')[0].split('.')[0] for p in _changed_paths(td)}))})" if td else ""
    )
    return EcsDeployment(
        why, min_p, max_p, bool(breaker.get("enable")), bool(breaker.get("rollback")), desired, spare, waves
    )


def _health_seconds(after) -> tuple[int, int, str]:
    tg = after.single(TARGET_GROUP)
    hc = (tg.inputs.get("healthCheck") if tg else None) or {}
    threshold = _int(hc.get("healthyThreshold"), DEFAULT_HEALTH[0])
    interval = _int(hc.get("interval"), DEFAULT_HEALTH[1])
    delay = _int(tg.inputs.get("deregistrationDelay") if tg else None, DEFAULT_DEREGISTRATION_DELAY)
    source = "rendered target group" if tg else "AWS defaults"
    return (
        threshold * interval,
        delay,
        f"{threshold} x {interval}s healthy checks, up to {delay}s deregistration ({source}; at once when no "
        "request is in flight)",
    )


def plan_rollout(diff: MigrationDiff, before, after) -> RolloutPlan:
    warnings: list[str] = []
    notes: list[str] = []
    cap_before, cap_after = capacity_of(before), capacity_of(after)
    capacity = [
        CapacityChange(f, cap_before.get(f), cap_after.get(f))
        for f in CAPACITY_FIELDS
        if cap_before.get(f) != cap_after.get(f)
    ]
    for f, b, a in (
        ("asgMinSize", before.config.asg_min_size, after.config.asg_min_size),
        ("asgMaxSize", before.config.asg_max_size, after.config.asg_max_size),
    ):
        if b != a:
            capacity.append(CapacityChange(f, b, a))

    # Application Auto Scaling raises the desired count to a higher minimum at once and
    # lowers it only by scaling in later, so during the move the larger of the two applies.
    desired = max(int(cap_before["taskMin"]), int(cap_after["taskMin"]))
    slots_after = int(cap_after["tasksPerInstance"]) * after.config.asg_max_size
    spare = slots_after - desired

    refresh = _instance_refresh(diff, before, after, warnings)
    deployment = _deployment(diff, after, desired, spare)
    health, deregistration, health_note = _health_seconds(after)
    drain = deregistration + CONTAINER_STOP_SECONDS
    task_ready = TASK_START_SECONDS + health

    serving_now = int(cap_before["taskMin"])
    partial_seconds, lowest, rollout = 0, serving_now, 0
    if refresh:
        per_batch = INSTANCE_BOOT_SECONDS + refresh.instance_warmup_seconds + drain
        rollout += refresh.batches * per_batch
        if not refresh.launch_before_terminate:
            # Each batch is out of service from its termination until its replacements serve.
            partial_seconds += refresh.batches * (drain + INSTANCE_BOOT_SECONDS + task_ready)
            remaining = refresh.instances - refresh.batch_size
            lowest = min(lowest, remaining * int(cap_before["tasksPerInstance"]))
    stalls = False
    if slots_after < desired:
        stalls = refresh is not None
        warnings.append(
            f"after the move the cluster holds {slots_after} tasks at ASG max ({cap_after['tasksPerInstance']} per "
            f"instance x {after.config.asg_max_size}) but {desired} are desired: the rest stay pending"
            + (
                ", draining instances wait for replacements (min healthy 100%) and the refresh can stall; lower "
                "taskMinCount first or move in stages"
                if refresh
                else ""
            )
        )
        lowest = min(lowest, slots_after)
        # Until target tracking scales in (one cooldown) the extra tasks cannot run.
        partial_seconds = max(partial_seconds, rollout or task_ready)
    if deployment:
        wave = task_ready + drain
        if deployment.waves == 0:
            stalls = True
            warnings.append(
                f"ECS cannot replace tasks: no spare room ({deployment.spare_slots} slots beyond {desired} desired "
                f"at ASG max) and minimum healthy {deployment.min_healthy_percent}% forbids stopping first; the "
                "deployment stalls" + (" and the circuit breaker rolls it back" if deployment.rollback else "")
            )
        else:
            rollout += deployment.waves * wave
            if deployment.min_healthy_percent < 100:
                partial_seconds += deployment.waves * task_ready
                lowest = min(lowest, math.ceil(desired * deployment.min_healthy_percent / 100))
        if refresh:
            notes.append(
                "the instance refresh and the ECS deployment start together; the times add up as an upper bound"
            )
    if int(cap_after["taskMin"]) > int(cap_before["taskMin"]):
        notes.append(
            f"the task minimum rises {cap_before['taskMin']} -> {cap_after['taskMin']}: the extra tasks "
            "start as instances of the new type join (capacity provider managed scaling)"
        )

    assumptions = (
        f"{before.config.asg_min_size} instance(s) running (ASG min size); more only under load",
        f"instance launch, boot and ECS registration: {INSTANCE_BOOT_SECONDS}s",
        f"task start on a fresh instance (image pull, container start): {TASK_START_SECONDS}s",
        f"ALB health: {health_note}",
        f"containers stopping once drained: {CONTAINER_STOP_SECONDS}s",
        "instance warm-up from the ASG's instanceRefresh preferences",
    )
    return RolloutPlan(
        refresh,
        deployment,
        capacity,
        PartialCapacity(partial_seconds, max(lowest, 0), serving_now, desired, rollout, assumptions),
        warnings,
        notes,
        stalls,
    )
