"""The alarms the component builds: the sizing guide's "Monitoring Metrics" (metric, threshold,
period) and one of ours for failing health checks.

The policy pack derives the alarms it requires from the same list.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import thresholds


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm the component builds; `title` names it in the policy pack's findings."""

    suffix: str
    title: str
    description: str
    namespace: str
    metric: str
    threshold: float
    statistic: str | None = None
    extended_statistic: str | None = None
    period: int = 300
    evaluation_periods: int = 1
    dimensions: str = "service"  # which dimension set: "efs", "service" or "alb"
    # The guide's "Monitoring Metrics" list it; the pack requires these (on `metric` or an
    # `also_accepted` one: an organization's own ALB 5xx alarm may count the ELB's 5xx too).
    in_guide: bool = True
    also_accepted: tuple[str, ...] = ()


GUIDE_ALARMS = (
    AlarmSpec(
        "efs-io-limit",
        "EFS PercentIOLimit",
        f"EFS PercentIOLimit > {thresholds.EFS_IO_LIMIT_PERCENT:g} %: check throughput mode",
        "AWS/EFS",
        "PercentIOLimit",
        thresholds.EFS_IO_LIMIT_PERCENT,
        statistic="Average",
        evaluation_periods=2,
        dimensions="efs",
    ),
    AlarmSpec(
        "ecs-cpu-high",
        "ECS CPU",
        f"ECS CPU > {thresholds.CPU_SCALE_UP_PERCENT:g} % for 10 minutes: move to a larger instance type",
        "AWS/ECS",
        "CPUUtilization",
        thresholds.CPU_SCALE_UP_PERCENT,
        statistic="Average",
        evaluation_periods=2,
    ),
    AlarmSpec(
        "ecs-memory-high",
        "ECS memory",
        f"ECS memory > {thresholds.MEMORY_PRESSURE_PERCENT:g} %: raise containerMemory or the instance type",
        "AWS/ECS",
        "MemoryUtilization",
        thresholds.MEMORY_PRESSURE_PERCENT,
        statistic="Average",
    ),
    AlarmSpec(
        "alb-p95-latency",
        "ALB P95 latency",
        f"ALB P95 TargetResponseTime > {thresholds.P95_SCALE_UP_SECONDS:g} s",
        "AWS/ApplicationELB",
        "TargetResponseTime",
        thresholds.P95_SCALE_UP_SECONDS,
        extended_statistic="p95",
        evaluation_periods=3,
        dimensions="alb",
    ),
    AlarmSpec(
        "alb-5xx",
        "ALB 5xx",
        f"More than {thresholds.TARGET_5XX_PER_HOUR} target 5xx responses in an hour",
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        thresholds.TARGET_5XX_PER_HOUR,
        also_accepted=("HTTPCode_ELB_5XX_Count",),
        statistic="Sum",
        period=3600,
        dimensions="alb",
    ),
    AlarmSpec(
        "unhealthy-hosts",
        "ALB unhealthy hosts",
        "At least one task fails its health check",
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        0,
        in_guide=False,
        statistic="Maximum",
        period=60,
        evaluation_periods=3,
        dimensions="alb",
    ),
)


def required_by_pack() -> list[dict[str, object]]:
    """The guide's alarms as the pack's `requiredAlarms` default: each on one of `metrics` in
    `namespace`."""
    return [
        {"name": a.title, "namespace": a.namespace, "metrics": [a.metric, *a.also_accepted]}
        for a in GUIDE_ALARMS
        if a.in_guide
    ]
