"""Read a stack's CloudWatch metrics and its service's state with boto3.

One GetMetricData request set for the window (paginated), asking CloudWatch for each
statistic the way a dashboard does, percentiles included (TargetResponseTime p95 is
computed by CloudWatch from the raw samples; averages of averages cannot give it). The
ECS service, its scaling target and the file system are described for what they are now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .resources import StackResources
from .rules import Measurements


@dataclass(frozen=True)
class Query:
    key: str  # the Measurements field it fills
    namespace: str
    metric: str
    stat: str
    dimensions: tuple[tuple[str, str], ...]


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


def read_series(
    cloudwatch, qs: list[Query], start: datetime, end: datetime, period_s: int
) -> dict[str, dict[datetime, float]]:
    requests = [
        {
            "Id": f"q{i}",
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
        for i, q in enumerate(qs)
    ]
    by_id = {f"q{i}": q.key for i, q in enumerate(qs)}
    series: dict[str, dict[datetime, float]] = {q.key: {} for q in qs}
    paginator = cloudwatch.get_paginator("get_metric_data")
    for page in paginator.paginate(
        MetricDataQueries=requests, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    ):
        for result in page["MetricDataResults"]:
            target = series[by_id[result["Id"]]]
            for ts, value in zip(result["Timestamps"], result["Values"]):
                target[ts.astimezone(UTC)] = float(value)
    return series


def read(
    session, region: str, res: StackResources, days: float, period_s: int, now: datetime | None = None
) -> Measurements:
    start, end = window(days, period_s, now)
    series = read_series(session.client("cloudwatch", region_name=region), queries(res), start, end, period_s)

    ecs = session.client("ecs", region_name=region)
    service = ecs.describe_services(cluster=res.cluster_name, services=[res.service_arn])["services"][0]
    targets = session.client("application-autoscaling", region_name=region).describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[res.scaling_resource_id], ScalableDimension="ecs:service:DesiredCount"
    )["ScalableTargets"]
    fs = session.client("efs", region_name=region).describe_file_systems(FileSystemId=res.file_system_id)[
        "FileSystems"
    ][0]
    return Measurements(
        period_s=period_s,
        start=start,
        end=end,
        **series,
        task_min=targets[0]["MinCapacity"] if targets else None,
        task_max=targets[0]["MaxCapacity"] if targets else None,
        running_now=service.get("runningCount"),
        desired_now=service.get("desiredCount"),
        efs_performance_mode=fs.get("PerformanceMode"),
        efs_throughput_mode=fs.get("ThroughputMode"),
    )
