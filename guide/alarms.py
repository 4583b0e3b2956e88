"""The alarms the component builds: the sizing guide's "Monitoring Metrics" (metric, threshold,
period), one of ours for failing health checks, and three that see an outage the others
cannot: with no task running, no target is registered, target metrics are missing and
UnHealthyHostCount is 0, while the load balancer answers 503 itself.

How each treats missing data follows what AWS emits. The cluster's Container Insights report
the service's RunningTaskCount every minute; with no task running it is 0 or, like the service's
own metrics ("These metrics are collected for resources that have tasks in the RUNNING state",
ECS developer guide, "Amazon ECS CloudWatch metrics"), missing: that alarm treats missing data as
breaching, so either way it fires, day or night. "If there are no requests flowing
through the load balancer or no data for a metric, the metric is not reported" (ELB user guide,
"CloudWatch metrics for your Application Load Balancer"): missing load balancer data is an idle
night, not breaching. commands/alarms/ evaluates the rendered alarms against scenarios of what
AWS emits.

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
    # Which dimension set: "efs", "service", "alb" (load balancer and target group) or
    # "load-balancer" (the load balancer's own metrics have no target group).
    dimensions: str = "service"
    # The guide's "Monitoring Metrics" list it; the pack requires these (on `metric` or an
    # `also_accepted` one: an organization's own ALB 5xx alarm may count the ELB's 5xx too).
    in_guide: bool = True
    also_accepted: tuple[str, ...] = ()
    comparison: str = "GreaterThanThreshold"
    # M of the evaluation periods' N datapoints must breach (None: all N).
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "notBreaching"


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
    AlarmSpec(
        "elb-5xx",
        "ALB's own 5xx",
        f"The load balancer answered more than {thresholds.ELB_5XX_PER_5_MINUTES} 5xx itself in 5 minutes: "
        "no healthy task (503), tasks unreachable or closing connections (502), or timing out (504)",
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        thresholds.ELB_5XX_PER_5_MINUTES,
        in_guide=False,
        statistic="Sum",
        dimensions="load-balancer",
    ),
    AlarmSpec(
        "no-running-task",
        "No running task",
        "No task of the service has run for 3 minutes: the index is down, whether or not anyone asks it",
        "ECS/ContainerInsights",
        "RunningTaskCount",
        1,
        in_guide=False,
        statistic="Maximum",
        comparison="LessThanThreshold",
        period=60,
        evaluation_periods=3,
        treat_missing_data="breaching",
    ),
)


def healthy_tasks_alarm(floor: int) -> AlarmSpec:
    """Fewer healthy tasks than a deploy ever leaves (`floor`) for 5 minutes: tasks are lost
    (an Availability Zone, instances) or crash, not being replaced."""
    return AlarmSpec(
        "healthy-tasks-low",
        "ALB healthy tasks",
        f"Fewer than {floor} healthy tasks for 5 minutes (a deploy never leaves fewer): tasks lost or crashing",
        "AWS/ApplicationELB",
        "HealthyHostCount",
        floor,
        in_guide=False,
        statistic="Minimum",
        comparison="LessThanThreshold",
        period=60,
        evaluation_periods=5,
        dimensions="alb",
    )


def stack_alarms(healthy_task_floor: int) -> tuple[AlarmSpec, ...]:
    """Every alarm a stack gets."""
    return (*GUIDE_ALARMS, healthy_tasks_alarm(healthy_task_floor))


def required_by_pack() -> list[dict[str, object]]:
    """The guide's alarms as the pack's `requiredAlarms` default: each on one of `metrics` in
    `namespace`."""
    return [
        {"name": a.title, "namespace": a.namespace, "metrics": [a.metric, *a.also_accepted]}
        for a in GUIDE_ALARMS
        if a.in_guide
    ]
