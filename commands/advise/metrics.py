"""Read a stack's CloudWatch metrics, its service's state and its scaling history with boto3.

CloudWatch is asked for each statistic the way a dashboard does, percentiles included
(TargetResponseTime p95 is computed by CloudWatch from the raw samples; averages of averages
cannot give it). Each series is its own GetMetricData request (paginated; the price is per
metric asked for, not per request), so one that fails costs only the rules that read it:
it is recorded as unavailable, with its reason in one line, and the rest are judged. Only
when every series fails is the failure the answer. The scaling target and the scaling
activities are isolated the same way; the ECS service and the file system, without which
there is no stack to judge, are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from .aws_errors import describe, one_line
from .resources import StackResources
from .rules import Measurements
from .scaling import ScalingActivity, desired_count


class ResultFailed(Exception):
    """CloudWatch answered, but marked a query's result as failed."""


# What a failing AWS call raises: botocore's errors, and its parser's for a body that is not
# the protocol's (a proxy's HTML page), which is not one of them.
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
READ_ERRORS = (*AWS_ERRORS, ResultFailed)


@dataclass(frozen=True)
class Query:
    key: str  # the Measurements field it fills
    namespace: str
    metric: str
    stat: str
    dimensions: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return f"{self.namespace} {self.metric} {self.stat}"


def queries(res: StackResources) -> list[Query]:
    service = (("ClusterName", res.cluster_name), ("ServiceName", res.service_name))
    alb = (("LoadBalancer", res.load_balancer_dimension),)
    efs = (("FileSystemId", res.file_system_id),)
    found = [
        Query("cpu_avg", "AWS/ECS", "CPUUtilization", "Average", service),
        Query("cpu_max", "AWS/ECS", "CPUUtilization", "Maximum", service),
        Query("memory_avg", "AWS/ECS", "MemoryUtilization", "Average", service),
        Query("memory_max", "AWS/ECS", "MemoryUtilization", "Maximum", service),
        # Container Insights (the component enables it on the cluster).
        Query("running_tasks", "ECS/ContainerInsights", "RunningTaskCount", "Maximum", service),
        Query("requests", "AWS/ApplicationELB", "RequestCount", "Sum", alb),
        Query("response_avg", "AWS/ApplicationELB", "TargetResponseTime", "Average", alb),
        Query("response_p95", "AWS/ApplicationELB", "TargetResponseTime", "p95", alb),
        Query("target_5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", alb),
        Query("elb_5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", alb),
        Query("efs_io_limit", "AWS/EFS", "PercentIOLimit", "Average", efs),
        Query("efs_metered_bytes", "AWS/EFS", "MeteredIOBytes", "Sum", efs),
        Query("efs_burst_credits", "AWS/EFS", "BurstCreditBalance", "Minimum", efs),
    ]
    if res.target_group_dimension:
        # Host counts are per target group (with the load balancer as second dimension).
        target = (("TargetGroup", res.target_group_dimension), *alb)
        found += [
            Query("healthy_min", "AWS/ApplicationELB", "HealthyHostCount", "Minimum", target),
            Query("unhealthy_max", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", target),
        ]
    return found


def window(days: float, period_s: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) aligned to whole periods, so every period is complete."""
    now = now or datetime.now(UTC)
    epoch = int(now.timestamp()) // period_s * period_s
    end = datetime.fromtimestamp(epoch, UTC)
    return end - timedelta(days=days), end


def _request(q: Query, period_s: int) -> dict:
    return {
        "Id": "q",
        "Label": q.key,
        "MetricStat": {
            "Metric": {
                "Namespace": q.namespace,
                "MetricName": q.metric,
                "Dimensions": [{"Name": n, "Value": v} for n, v in q.dimensions],
            },
            "Period": period_s,
            "Stat": q.stat,
        },
        "ReturnData": True,
    }


def read_one(cloudwatch, q: Query, start: datetime, end: datetime, period_s: int) -> dict[datetime, float]:
    """One series; raises what boto3 raises, or ResultFailed for a result CloudWatch marks
    as failed (StatusCode InternalError or Forbidden)."""
    series: dict[datetime, float] = {}
    paginator = cloudwatch.get_paginator("get_metric_data")
    pages = paginator.paginate(
        MetricDataQueries=[_request(q, period_s)], StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    )
    for page in pages:
        for result in page["MetricDataResults"]:
            if result.get("StatusCode") in ("InternalError", "Forbidden"):
                said = "; ".join(m.get("Value", "") for m in result.get("Messages", []))
                raise ResultFailed(f"CloudWatch answered {result['StatusCode']}" + (f": {said}" if said else ""))
            for ts, value in zip(result["Timestamps"], result["Values"]):
                series[ts.astimezone(UTC)] = float(value)
    return series


def read_series(
    cloudwatch, qs: list[Query], start: datetime, end: datetime, period_s: int, region: str
) -> tuple[dict[str, dict[datetime, float]], dict[str, str]]:
    """Every query's series, and the reason for each one that could not be read."""
    series: dict[str, dict[datetime, float]] = {q.key: {} for q in qs}
    failed: dict[str, str] = {}
    errors: list[Exception] = []
    for q in qs:
        try:
            series[q.key] = read_one(cloudwatch, q, start, end, period_s)
        except READ_ERRORS as err:
            errors.append(err)
            failed[q.key] = f"{q.name}: {_reason(err, region)}"
    if qs and len(errors) == len(qs):
        raise errors[0]  # nothing to judge: the failure is the answer
    return series, failed


def _reason(err: Exception, region: str) -> str:
    return one_line(str(err)) if isinstance(err, ResultFailed) else describe(err, region)


def scaling_activities(client, resource_id: str, start: datetime) -> tuple[ScalingActivity, ...]:
    """The service's activities, newest first from AWS, down to the first one before `start`
    (it tells the count the window began with)."""
    found: list[ScalingActivity] = []
    pages = client.get_paginator("describe_scaling_activities").paginate(
        ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension="ecs:service:DesiredCount"
    )
    for page in pages:
        for a in page["ScalingActivities"]:
            found.append(
                ScalingActivity(
                    start=a["StartTime"].astimezone(UTC),
                    desired=desired_count(a.get("Description", "")),
                    status=a.get("StatusCode", ""),
                    cause=a.get("Cause", ""),
                )
            )
            if found[-1].start < start:
                return tuple(found)
    return tuple(found)


def read(
    session, region: str, res: StackResources, days: float, period_s: int, now: datetime | None = None
) -> Measurements:
    start, end = window(days, period_s, now)
    series, unavailable = read_series(
        session.client("cloudwatch", region_name=region), queries(res), start, end, period_s, region
    )

    ecs = session.client("ecs", region_name=region)
    service = ecs.describe_services(cluster=res.cluster_name, services=[res.service_arn])["services"][0]
    scaling = session.client("application-autoscaling", region_name=region)
    targets = []
    try:
        targets = scaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[res.scaling_resource_id], ScalableDimension="ecs:service:DesiredCount"
        )["ScalableTargets"]
    except AWS_ERRORS as err:
        unavailable["scaling_target"] = describe(err, region)
    activities: tuple[ScalingActivity, ...] = ()
    try:
        activities = scaling_activities(scaling, res.scaling_resource_id, start)
    except AWS_ERRORS as err:
        unavailable["scaling_activities"] = describe(err, region)
    by_field: dict[str, Any] = dict(series)  # each query's key is the Measurements field it fills
    fs = session.client("efs", region_name=region).describe_file_systems(FileSystemId=res.file_system_id)[
        "FileSystems"
    ][0]
    return Measurements(
        period_s=period_s,
        start=start,
        end=end,
        **by_field,
        task_min=targets[0]["MinCapacity"] if targets else None,
        task_max=targets[0]["MaxCapacity"] if targets else None,
        running_now=service.get("runningCount"),
        desired_now=service.get("desiredCount"),
        efs_performance_mode=fs.get("PerformanceMode"),
        efs_throughput_mode=fs.get("ThroughputMode"),
        scaling_activities=activities,
        unavailable=unavailable,
    )
