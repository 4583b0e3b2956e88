"""A deployed stack inside a moto server: the AWS resources the component creates (tagged as
it tags them) and synthetic metric series put into moto's CloudWatch with PutMetricData, so
the advisor's own boto3 calls go over HTTP to an AWS-compatible endpoint (AWS_ENDPOINT_URL),
as they would to AWS.

The server runs in this process (moto's ThreadedMotoServer), so the two teachings below,
which patch moto's classes, apply inside it:

- moto 5.2.5 cannot compute percentile statistics: GetMetricData with Stat "p95" fails in its
  serializer (its Statistics class knows Sum/Average/Minimum/Maximum/SampleCount only; over
  HTTP that is a 500 with an HTML page), and GetMetricStatistics with ExtendedStatistics
  returns datapoints without values (test_moto_alone_cannot_answer_percentiles pins both).
  `moto_percentiles` teaches moto's CloudWatch *backend* to answer pNN from the raw samples it
  stores, as CloudWatch does, and to leave out a period it has no raw samples for (data put as
  statistic sets), as CloudWatch does. The series below make the p95 unambiguous (10 % of each
  period's samples are slow), so any percentile definition gives the same answer.
- moto 5.2.5 does not implement Application Auto Scaling's DescribeScalingActivities
  (test_moto_alone_cannot_describe_scaling_activities pins it). AWS records activities itself
  (no API creates one), so `moto_scaling_activities` answers the call from a history the test
  writes, in AWS's shape (newest first, paginated).

The client side (boto3, the requests the advisor sends) is untouched.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.cloudwatch.models import CloudWatchBackend, Statistics
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
PERIOD = 3600
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")
# The advisor's tests own ports 18100-18199: the moto server takes one of the first half.
MOTO_PORTS = range(18100, 18150)


def moto_percentiles(monkeypatch) -> None:
    original = Statistics.get_statistics_for_type
    original_query = CloudWatchBackend.get_metric_data

    def with_percentiles(self, stat):
        match = _PERCENTILE.match(stat)
        if not match:
            return original(self, stat)
        values = sorted(self.metric_single_values_list)
        if not values:
            return None
        return values[max(1, math.ceil(float(match.group(1)) / 100 * len(values))) - 1]

    def without_empty_periods(self, *args, **kwargs):
        results = original_query(self, *args, **kwargs)
        for result in results:
            kept = [(t, v) for t, v in zip(result["timestamps"], result["values"]) if v is not None]
            result["timestamps"], result["values"] = [t for t, _ in kept], [v for _, v in kept]
        return results

    monkeypatch.setattr(Statistics, "get_statistics_for_type", with_percentiles)
    monkeypatch.setattr(CloudWatchBackend, "get_metric_data", without_empty_periods)


@dataclass(frozen=True)
class Activity:
    """One Application Auto Scaling activity on the service's task count."""

    start: datetime
    desired: int
    # Policy-triggered activities name their alarm; target tracking's scale-out alarm is AlarmHigh.
    cause: str = "monitor alarm TargetTracking-service/c/s-AlarmHigh-1f2e in state ALARM triggered policy cpu"
    status: str = "Successful"


@dataclass
class ScalingHistory:
    """What DescribeScalingActivities answers, per ResourceId."""

    activities: dict[str, list[Activity]] = field(default_factory=dict)

    def record(self, d: Deployed, activities: list[Activity]) -> None:
        self.activities.setdefault(f"service/{d.cluster}/{d.service}", []).extend(activities)


def moto_scaling_activities(monkeypatch) -> ScalingHistory:
    history = ScalingHistory()

    def describe_scaling_activities(self) -> str:
        resource = self._get_param("ResourceId")
        found = [
            (resource_id, a)
            for resource_id, acts in history.activities.items()
            if resource in (None, resource_id)
            for a in acts
        ]
        found.sort(key=lambda pair: pair[1].start, reverse=True)  # newest first, as AWS answers
        first = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or 50)
        page = found[first : first + size]
        body: dict = {
            "ScalingActivities": [
                {
                    "ActivityId": f"act-{first + i}",
                    "ServiceNamespace": "ecs",
                    "ResourceId": resource_id,
                    "ScalableDimension": "ecs:service:DesiredCount",
                    "Description": f"Setting desired count to {a.desired}.",
                    "Cause": a.cause,
                    "StartTime": a.start.timestamp(),
                    "EndTime": a.start.timestamp() + 30,
                    "StatusCode": a.status,
                    "StatusMessage": f"Successfully set desired count to {a.desired}.",
                }
                for i, (resource_id, a) in enumerate(page)
            ]
        }
        if first + size < len(found):
            body["NextToken"] = str(first + size)
        return json.dumps(body)

    monkeypatch.setattr(
        ApplicationAutoScalingResponse, "describe_scaling_activities", describe_scaling_activities, raising=False
    )
    return history


def free_port(ports: range) -> int:
    """The first free port of `ports`, each xdist worker starting at its own place in it."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    offset = worker * 8 % len(ports)
    for port in [*ports[offset:], *ports[:offset]]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server in this process (so patches to moto's classes apply to it); yields its URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    port = free_port(MOTO_PORTS)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def reset(url: str) -> None:
    """Forget every resource and datapoint, as a fresh account."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30).close()


@dataclass
class Deployed:
    stack: str
    cluster: str
    service: str
    service_arn: str
    lb_arn: str
    lb_dns: str
    tg_arn: str
    efs_id: str

    @property
    def lb_dim(self) -> str:
        return self.lb_arn.split(":loadbalancer/")[1]

    @property
    def tg_dim(self) -> str:
        return "targetgroup/" + self.tg_arn.split(":targetgroup/")[1]

    def outputs(self, **extra) -> dict:
        """What `pulumi stack output --json` prints for the component today."""
        return {
            "url": f"http://{self.lb_dns}",
            "albDnsName": self.lb_dns,
            "efsId": self.efs_id,
            "clusterName": self.cluster,
            "serviceName": self.service,
            "asgName": "pypiserver-asg-1",
            "credentialsSecretArn": "[secret]",
            "capacity": {"instanceType": "c6a.xlarge"},
            "monthlyCostUsd": 245.58,
            **extra,
        }

    def outputs_file(self, tmp_path: Path, **extra) -> str:
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(self.outputs(**extra)))
        return str(path)


def deploy(
    stack: str = "heavy", *, task_min: int = 12, task_max: int = 24, throughput_mode: str = "elastic", suffix: str = ""
) -> Deployed:
    """The resources the advisor reads, named and tagged like the component's."""
    tags = {"Service": "pypiserver", "Stack": stack, "ManagedBy": "pulumi"}
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    elb = boto3.client("elbv2", region_name=REGION)
    lb = elb.create_load_balancer(
        Name=f"pypiserver-alb{suffix}",
        Subnets=subnets,
        Scheme="internal",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )["LoadBalancers"][0]
    tg = elb.create_target_group(
        Name=f"pypiserver-tg{suffix}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]
    ecs = boto3.client("ecs", region_name=REGION)
    ecs_tags = [{"key": k, "value": v} for k, v in tags.items()]
    cluster = f"pypiserver-cluster{suffix}-4f2a"
    ecs.create_cluster(clusterName=cluster, tags=ecs_tags)
    ecs.register_task_definition(
        family="pypiserver", containerDefinitions=[{"name": "nginx", "image": "nginx:1.28.0-alpine", "memory": 512}]
    )
    service = ecs.create_service(
        cluster=cluster,
        serviceName=f"pypiserver-service{suffix}-9c1d",
        taskDefinition="pypiserver",
        desiredCount=task_min,
        tags=ecs_tags,
        loadBalancers=[{"targetGroupArn": tg["TargetGroupArn"], "containerName": "nginx", "containerPort": 8080}],
    )["service"]
    boto3.client("application-autoscaling", region_name=REGION).register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{cluster}/{service['serviceName']}",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=task_min,
        MaxCapacity=task_max,
    )
    fs = boto3.client("efs", region_name=REGION).create_file_system(
        PerformanceMode="generalPurpose",
        ThroughputMode=throughput_mode,
        Encrypted=True,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    return Deployed(
        stack,
        cluster,
        service["serviceName"],
        service["serviceArn"],
        lb["LoadBalancerArn"],
        lb["DNSName"],
        tg["TargetGroupArn"],
        fs["FileSystemId"],
    )


@dataclass
class Hour:
    """One period of synthetic traffic, in the units CloudWatch publishes."""

    requests: float = 3000
    response_s: float = 0.3  # every sample of the period
    slow_s: float | None = None  # when set, 10 % of the samples take this long
    cpu: float = 60
    memory: float = 65
    target_5xx: float = 0
    elb_5xx: float = 0
    running: float = 12
    healthy: float = 12
    efs_io: float = 10
    efs_bytes: float = 2**30
    efs_credits: float | None = None  # BurstCreditBalance, bytes (bursting file systems only)
    # TargetResponseTime as a statistic set (count, sum, min, max): CloudWatch can give its
    # average but no percentile, having no raw samples.
    response_as_statistic_set: bool = False


def period_starts(hours: int, now: datetime | None = None) -> list[datetime]:
    """The last `hours` whole periods before now, oldest first."""
    now = now or datetime.now(UTC)
    end = datetime.fromtimestamp(int(now.timestamp()) // PERIOD * PERIOD, UTC)
    return [end - timedelta(seconds=PERIOD * (hours - i)) for i in range(hours)]


def publish(d: Deployed, hours: list[tuple[datetime, Hour]]) -> None:
    """Put each period's datapoints a minute into the period, under the dimensions AWS uses."""
    cw = boto3.client("cloudwatch", region_name=REGION)
    service = [{"Name": "ClusterName", "Value": d.cluster}, {"Name": "ServiceName", "Value": d.service}]
    alb = [{"Name": "LoadBalancer", "Value": d.lb_dim}]
    target = [{"Name": "TargetGroup", "Value": d.tg_dim}, *alb]
    efs = [{"Name": "FileSystemId", "Value": d.efs_id}]
    batches: dict[str, list[dict]] = {}

    def put(namespace, name, dims, ts, value=None, values=None, counts=None, statistics=None):
        datum = {"MetricName": name, "Dimensions": dims, "Timestamp": ts + timedelta(minutes=1)}
        if values is not None:
            datum.update(Values=values, Counts=counts)
        elif statistics is not None:
            count, total, low, high = statistics
            datum["StatisticValues"] = {"SampleCount": count, "Sum": total, "Minimum": low, "Maximum": high}
        else:
            datum["Value"] = value
        batches.setdefault(namespace, []).append(datum)

    for ts, h in hours:
        put("AWS/ECS", "CPUUtilization", service, ts, h.cpu)
        put("AWS/ECS", "MemoryUtilization", service, ts, h.memory)
        put("ECS/ContainerInsights", "RunningTaskCount", service, ts, h.running)
        # A load balancer reports request metrics only for periods with requests.
        if h.requests:
            put("AWS/ApplicationELB", "RequestCount", alb, ts, h.requests)
            # 20 samples per period: 18 fast and 2 slow (10 %), or all fast.
            slow = h.slow_s if h.slow_s is not None else h.response_s
            if h.response_as_statistic_set:
                put(
                    "AWS/ApplicationELB",
                    "TargetResponseTime",
                    alb,
                    ts,
                    statistics=(20, 18 * h.response_s + 2 * slow, h.response_s, slow),
                )
            else:
                put("AWS/ApplicationELB", "TargetResponseTime", alb, ts, values=[h.response_s, slow], counts=[18, 2])
            put("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", alb, ts, h.target_5xx)
            put("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", alb, ts, h.elb_5xx)
        put("AWS/ApplicationELB", "HealthyHostCount", target, ts, h.healthy)
        put("AWS/ApplicationELB", "UnHealthyHostCount", target, ts, 0)
        put("AWS/EFS", "PercentIOLimit", efs, ts, h.efs_io)
        put("AWS/EFS", "MeteredIOBytes", efs, ts, h.efs_bytes)
        if h.efs_credits is not None:
            put("AWS/EFS", "BurstCreditBalance", efs, ts, h.efs_credits)
    for namespace, data in batches.items():
        for i in range(0, len(data), 20):
            cw.put_metric_data(Namespace=namespace, MetricData=data[i : i + 20])


# -- scenarios shared by the tests and the demo ---------------------------------------------------

# TargetResponseTime put as statistic sets: CloudWatch has its average (7.05 s) but no p95.
NO_P95 = {"response_s": 7, "slow_s": 7.5, "response_as_statistic_set": True}
SCALE_IN_CAUSE = "monitor alarm TargetTracking-service/c/s-AlarmLow-9a8b in state ALARM triggered policy cpu"


def quiet_with_daily_bursts(ts: list[datetime], burst_cpu: float) -> list[tuple[datetime, Hour]]:
    """21 quiet hours a day (CPU 10 %, memory 30 %, 3000 requests an hour) and a 3-hour burst a
    day: 670 requests a minute, 5.7 s on average (63 in flight), at `burst_cpu`."""
    quiet = Hour(cpu=10, memory=30)
    burst = Hour(requests=670 * 60, response_s=5, slow_s=12, cpu=burst_cpu, memory=30)
    return [(t, burst if t.hour in (14, 15, 16) else quiet) for t in ts]


def scaling_at(ts: list[datetime], hours: tuple[int, ...], up_to: int = 16, at_rest: int = 12) -> list[Activity]:
    """A scale-out 10 minutes into each of `hours` (every day of `ts`) and its scale-in two hours
    later."""
    found = []
    for t in ts:
        if t.hour in hours:
            found.append(Activity(t + timedelta(minutes=10), up_to))
            found.append(Activity(t + timedelta(hours=2, minutes=10), at_rest, cause=SCALE_IN_CAUSE))
    return found
