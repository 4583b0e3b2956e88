"""What AWS would emit, minute by minute, for a stack in each situation: normal traffic, an
idle night, and the failures the alarms exist for. Missing data is modelled where AWS emits
none, by the rules AWS documents:

- Load balancer: "Elastic Load Balancing reports metrics to CloudWatch only when requests are
  flowing through the load balancer ... If there are no requests flowing through the load
  balancer or no data for a metric, the metric is not reported" (ELB user guide, "CloudWatch
  metrics for your Application Load Balancer"). Counts (HTTPCode_*, RequestCount) are reported
  when nonzero; HTTPCode_ELB_5XX_Count has no TargetGroup dimension (LoadBalancer alone);
  HealthyHostCount and UnHealthyHostCount have TargetGroup and LoadBalancer; TargetResponseTime
  exists only for requests a target answered.
- ECS service metrics: "These metrics are collected for resources that have tasks in the
  RUNNING state. If a cluster, service, or other resource has no running tasks, no metrics will
  be reported" (ECS developer guide, "Amazon ECS CloudWatch metrics"); one sample per running
  task and minute. Container Insights (when the cluster enables it) report the service's
  RunningTaskCount each minute; whether they report 0 or nothing once no task runs, the World
  says (`reports_zero_tasks`, default: nothing, the stricter reading).
- EFS: PercentIOLimit every minute (FileSystemId).
- The audit metric filter: a value for each matching log event (0 by default for the others),
  so nothing when no request is logged.

Randomness is seeded: every run of a scenario emits the same datapoints.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from components.observability import FAILED_LOGIN_METRIC
from guide.type_tokens import ECS_CLUSTER, ECS_SERVICE, EFS_FILE_SYSTEM, LOAD_BALANCER, LOG_METRIC_FILTER, TARGET_GROUP

MINUTES = 180
# Failures start here and last INCIDENT_MINUTES (the alarms' longest period is an hour).
START = 60
INCIDENT_MINUTES = 90
# A replacement instance joins the cluster and runs a task this long after the loss (launch,
# boot, agent registration, task start, two healthy checks 15 s apart).
REPLACEMENT_MINUTES = 7
# Tasks rescheduled on instances with free slots are healthy again within this.
RESCHEDULE_MINUTES = 2

MetricKey = tuple[str, str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class World:
    """The stack as AWS names it (dimension values) and sizes it (tasks, instances, AZs)."""

    load_balancer: str
    target_group: str
    cluster: str
    service: str
    file_system: str
    audit: tuple[str, str] | None  # (namespace, metric) of the failed-login filter
    tasks: int
    tasks_per_instance: int
    instances: int
    zones: int
    container_insights: bool
    reports_zero_tasks: bool = False

    @classmethod
    def from_preview(cls, preview) -> World:
        cfg = preview.config
        audit = None
        for f in preview.of_type(LOG_METRIC_FILTER):
            t = f.inputs["metricTransformation"]
            if t["name"] == FAILED_LOGIN_METRIC:  # the index's other audit metrics stay at none
                audit = (t["namespace"], t["name"])
        cluster = preview.one(ECS_CLUSTER)
        insights = {s.get("name"): s.get("value") for s in cluster.inputs.get("settings") or []}
        return cls(
            load_balancer=preview.one(LOAD_BALANCER).outputs["arnSuffix"],
            target_group=preview.one(TARGET_GROUP).outputs["arnSuffix"],
            cluster=cluster.outputs["name"],
            service=preview.one(ECS_SERVICE).outputs["name"],
            file_system=preview.one(EFS_FILE_SYSTEM).id or "",
            audit=audit,
            tasks=cfg.task_min,
            tasks_per_instance=cfg.capacity.tasks_per_instance,
            instances=cfg.asg_min_size,
            zones=max(1, cfg.network_az_count),
            container_insights=insights.get("containerInsights") in ("enabled", "enhanced"),
        )


@dataclass(frozen=True)
class Minute:
    """What happened in one minute."""

    running: int  # tasks RUNNING
    healthy: int  # targets passing health checks
    unhealthy: int  # targets failing them
    requests: int  # requests reaching the load balancer
    latencies: tuple[float, ...] = ()  # a sample of target response times (s)
    target_5xx: int = 0
    elb_5xx: int = 0  # answered by the load balancer itself
    cpu: float = 0.0  # per running task (%)
    memory: float = 0.0
    efs_io: float = 0.0  # PercentIOLimit
    failed_logins: int = 0


def emitted(world: World, m: Minute) -> dict[MetricKey, list[float]]:
    """The samples AWS records in one minute, by metric and dimensions."""
    out: dict[MetricKey, list[float]] = {}

    def put(namespace: str, metric: str, dims: dict[str, str], values: list[float]) -> None:
        out[(namespace, metric, tuple(sorted(dims.items())))] = values

    lb = {"LoadBalancer": world.load_balancer}
    tg = {**lb, "TargetGroup": world.target_group}
    if m.requests:
        for dims in (lb, tg):
            put("AWS/ApplicationELB", "RequestCount", dims, [float(m.requests)])
            if m.target_5xx:
                put("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dims, [float(m.target_5xx)])
            if m.latencies:
                put("AWS/ApplicationELB", "TargetResponseTime", dims, list(m.latencies))
        if m.elb_5xx:
            put("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, [float(m.elb_5xx)])
        put("AWS/ApplicationELB", "HealthyHostCount", tg, [float(m.healthy)])
        put("AWS/ApplicationELB", "UnHealthyHostCount", tg, [float(m.unhealthy)])
        if world.audit:
            put(world.audit[0], world.audit[1], {}, [1.0] * m.failed_logins + [0.0])
    service = {"ClusterName": world.cluster, "ServiceName": world.service}
    if world.container_insights and (m.running or world.reports_zero_tasks):
        put("ECS/ContainerInsights", "RunningTaskCount", service, [float(m.running)])
    if m.running:
        for dims in (service, {"ClusterName": world.cluster}):
            put("AWS/ECS", "CPUUtilization", dims, [m.cpu] * m.running)
            put("AWS/ECS", "MemoryUtilization", dims, [m.memory] * m.running)
    put("AWS/EFS", "PercentIOLimit", {"FileSystemId": world.file_system}, [m.efs_io])
    return out


# -- the situations -------------------------------------------------------------------------


def _latencies(rng: random.Random, median: float, spread: float = 0.6, n: int = 60) -> tuple[float, ...]:
    return tuple(round(rng.lognormvariate(math.log(median), spread), 4) for _ in range(n))


def _day(world: World, rng: random.Random) -> Minute:
    """A working minute of a business day: CI installs, a few uploads."""
    return Minute(
        running=world.tasks,
        healthy=world.tasks,
        unhealthy=0,
        requests=rng.randint(400, 800),
        latencies=_latencies(rng, 0.08),
        target_5xx=1 if rng.random() < 0.02 else 0,  # about one an hour
        cpu=rng.uniform(25, 45),
        memory=rng.uniform(40, 50),
        efs_io=rng.uniform(3, 10),
        failed_logins=1 if rng.random() < 0.01 else 0,
    )


def _night(world: World, rng: random.Random) -> Minute:
    return Minute(
        running=world.tasks,
        healthy=world.tasks,
        unhealthy=0,
        requests=0,
        cpu=rng.uniform(0.5, 2),
        memory=rng.uniform(38, 42),
        efs_io=rng.uniform(0.1, 0.5),
    )


def _incident(change: Callable[[World, random.Random, int, Minute], Minute], base=_day):
    """A scenario: a business day, changed by `change` from START for INCIDENT_MINUTES
    (`change` gets the minute since the incident began)."""

    def scenario(world: World, seed: int = 1) -> list[Minute]:
        rng = random.Random(seed)
        minutes = []
        for t in range(MINUTES):
            m = base(world, rng)
            if START <= t < START + INCIDENT_MINUTES:
                m = change(world, rng, t - START, m)
            minutes.append(m)
        return minutes

    return scenario


def _no_task(world: World, rng: random.Random, since: int, m: Minute) -> Minute:
    # No target registered: the load balancer answers every request with 503 itself.
    return replace(
        m, running=0, healthy=0, unhealthy=0, latencies=(), target_5xx=0, elb_5xx=m.requests, cpu=0, memory=0
    )


def _crash_loop(world: World, rng: random.Random, since: int, m: Minute) -> Minute:
    # Tasks start, fail their health checks and are replaced: never two passing checks in a
    # row. With only unhealthy targets the load balancer still routes to them (502s, 503s).
    running = rng.randint(0, max(1, world.tasks // 3))
    served = m.requests // 3 if running else 0
    return replace(
        m,
        running=running,
        healthy=0,
        unhealthy=running,
        latencies=_latencies(rng, 0.3, n=20) if served else (),
        target_5xx=served // 4,
        elb_5xx=m.requests - served,
        cpu=rng.uniform(60, 100),
    )


def _five_xx(world: World, rng: random.Random, since: int, m: Minute) -> Minute:
    return replace(m, target_5xx=rng.randint(5, 40)) if since < 40 else m


def _slow(world: World, rng: random.Random, since: int, m: Minute) -> Minute:
    return replace(m, latencies=_latencies(rng, 4.0, spread=0.5), cpu=rng.uniform(50, 70)) if since < 60 else m


def _efs_limit(world: World, rng: random.Random, since: int, m: Minute) -> Minute:
    return replace(m, efs_io=rng.uniform(92, 100), latencies=_latencies(rng, 0.4)) if since < 60 else m


def _cpu(world: World, rng: random.Random, since: int, m: Minute) -> Minute:
    return replace(m, cpu=rng.uniform(92, 100), latencies=_latencies(rng, 0.6)) if since < 60 else m


def _zone_lost(world: World, rng: random.Random, since: int, m: Minute) -> Minute:
    """One Availability Zone's instances and their tasks are gone. Tasks come back on free
    slots of the other instances at once, the rest once replacement instances have joined."""
    lost_instances = math.ceil(world.instances / world.zones)
    survivors = world.instances - lost_instances
    lost = min(world.tasks, round(world.tasks * lost_instances / world.instances))
    free = max(0, world.tasks_per_instance * survivors - (world.tasks - lost))
    back = 0
    if since >= RESCHEDULE_MINUTES:
        back = min(lost, free)
    if since >= REPLACEMENT_MINUTES:
        back = lost
    running = world.tasks - lost + back
    return replace(
        m,
        running=running,
        healthy=running,
        # Until ECS stops them, the lost tasks' targets fail their checks (3 x 15 s).
        unhealthy=lost if since < 1 else 0,
        elb_5xx=rng.randint(5, 30) if since < 1 else 0,  # requests in flight on the lost instances
        cpu=min(100.0, m.cpu * world.tasks / max(1, running)),
    )


@dataclass(frozen=True)
class Scenario:
    name: str
    minutes: Callable[[World], list[Minute]]
    failure: bool  # an alarm must notify someone; otherwise none may fire
    about: str = field(default="")


SCENARIOS = (
    Scenario("normal traffic", _incident(lambda w, r, s, m: m), False, "a business day"),
    Scenario("idle night", _incident(lambda w, r, s, m: m, base=_night), False, "no request for hours"),
    Scenario("no task running", _incident(_no_task), True, "clients keep asking: the load balancer answers 503"),
    Scenario(
        "no task running at night",
        _incident(_no_task, base=_night),
        True,
        "nobody asks: the balancer is silent",
    ),
    Scenario("tasks crash-looping", _incident(_crash_loop), True, "tasks start and fail their health checks"),
    Scenario("5xx storm", _incident(_five_xx), True, "the index answers 5xx for 40 minutes"),
    Scenario("slow responses", _incident(_slow), True, "P95 around 9 s for an hour"),
    Scenario("EFS I/O limit", _incident(_efs_limit), True, "PercentIOLimit above 90 % for an hour"),
    Scenario("CPU saturation", _incident(_cpu), True, "tasks at 95 % CPU for an hour"),
    Scenario("instances lost in one AZ", _incident(_zone_lost), True, "an AZ's instances gone, replaced"),
)
