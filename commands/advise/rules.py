"""The sizing guide's "When to Scale Up" and "Downgrading" rules, applied to measured series
(pure: the series come in as plain dicts, nothing here talks to AWS).

"Sustained" and "consistent" are the guide's words without a number. Here they mean: the
75th percentile of the periods is beyond the threshold, i.e. the stack spent more than a
quarter of the window (over six hours a day on average) there. Shorter spikes are what the
alarms are for; they are not a reason to buy a bigger instance. Downgrades ask the
opposite with a margin: the 95th percentile under the guide's bound (under it 95 % of
the time), so a downgrade never rides on an average that hides daily peaks.

A downgrade must hold for the bursts too: the guide sizes every profile for its bursts
("4 vCPU per instance provides headroom to absorb burst traffic"), so the bursts' CPU,
carried by the smaller type, must stay under the guide's 80 % CPU line, and the bursts'
error rate must already meet its "< 1% error rate under burst load". ECS reports CPU as a
share of what the service's tasks reserve (AWS: "Total CPU units used by tasks in service"
over "CPU units specified in the task definition x Number of tasks"), so the same load on
the smaller type is the measured share times the ratio of CPU the tasks reserve per
instance on each type (c6a.xlarge holds 6 tasks of 640 units, c6a.large 3: twice the share).

A rule that cannot be judged says so and why (`could_not_judge`): its data could not be read
(the failure, in one line), or CloudWatch has none while there was traffic to measure. No
requests at all is not missing data: nothing failed and nothing was slow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from guide.thresholds import (
    BURST_ERROR_RATE_PERCENT,
    CPU_SCALE_UP_PERCENT,
    DOWNGRADE_CPU_PERCENT,
    DOWNGRADE_ERROR_RATE_PERCENT,
    DOWNGRADE_MEMORY_PERCENT,
    EFS_IO_LIMIT_PERCENT,
    ERROR_RATE_SCALE_UP_PERCENT,
    MEMORY_PRESSURE_PERCENT,
    MIN_DATA_DAYS,
    P95_SCALE_UP_SECONDS,
)

from .scaling import ACTIVITY_RETENTION_DAYS, SCALE_OUTS_PER_DAY, ScalingActivity, scale_outs, with_bursts
from .traffic import Series, burst_periods, percentile, share_above, values_at

SUSTAINED_PERCENTILE = 75  # beyond the threshold more than a quarter of the time
DOWNGRADE_PERCENTILE = 95  # under the bound 95 % of the time

Group = Literal["scale up", "scale out", "EFS throughput", "downgrade"]


@dataclass(frozen=True)
class Measurements:
    """What the metrics reader found, one value per period (timestamps are period starts)."""

    period_s: int
    start: datetime
    end: datetime
    cpu_avg: Series = field(default_factory=dict)
    cpu_max: Series = field(default_factory=dict)
    memory_avg: Series = field(default_factory=dict)
    memory_max: Series = field(default_factory=dict)
    requests: Series = field(default_factory=dict)
    response_avg: Series = field(default_factory=dict)
    response_p95: Series = field(default_factory=dict)
    target_5xx: Series = field(default_factory=dict)
    elb_5xx: Series = field(default_factory=dict)
    healthy_min: Series = field(default_factory=dict)
    unhealthy_max: Series = field(default_factory=dict)
    running_tasks: Series = field(default_factory=dict)
    efs_io_limit: Series = field(default_factory=dict)
    efs_metered_bytes: Series = field(default_factory=dict)
    efs_burst_credits: Series = field(default_factory=dict)
    # The service as it is now.
    task_min: int | None = None
    task_max: int | None = None
    running_now: int | None = None
    desired_now: int | None = None
    efs_performance_mode: str | None = None
    efs_throughput_mode: str | None = None
    scaling_activities: tuple[ScalingActivity, ...] = ()
    # What could not be read: a series' field name, "scaling_target" or "scaling_activities",
    # with the reason in one line. Rules needing it cannot be judged.
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def window_days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


@dataclass(frozen=True)
class DowngradeStep:
    """The next size down, and the share of it the same CPU load takes per measured share."""

    from_type: str
    to_type: str
    load_factor: float
    derivation: str  # how load_factor was found, for the report


@dataclass(frozen=True)
class RuleResult:
    key: str
    group: Group
    guide: str  # the guide's words
    measured: float | None
    unit: str
    comparison: Literal[">", "<", ">="]
    threshold: float
    fires: bool | None  # None: no data to judge, or not applicable
    detail: str
    applicable: bool = True
    shown: str | None = None  # what to print when there is no number to show
    could_not_judge: str | None = None  # why there is no verdict, in one line

    def describe_measured(self) -> str:
        if self.could_not_judge:
            return "-"
        if self.measured is None:
            return self.shown or ("n/a" if not self.applicable else "no data")
        return f"{self.measured:.2f}{self.unit}" if self.unit != " tasks" else f"{self.measured:.0f}{self.unit}"

    @property
    def verdict(self) -> str:
        if self.could_not_judge:
            return "not judged"
        if self.fires is None:
            return "n/a"
        if self.group == "downgrade":  # conditions that must all hold, not alarms
            return "met" if self.fires else "not met"
        return "FIRES" if self.fires else "no"

    def unjudged(self, reason: str) -> RuleResult:
        return replace(self, measured=None, fires=None, could_not_judge=reason)


@dataclass(frozen=True)
class Evaluation:
    rules: list[RuleResult]
    days_with_data: float
    window_days: float
    burst_periods: int
    normal_periods: int
    facts: dict[str, float | int | str | None]

    @property
    def enough_data(self) -> bool:
        return self.days_with_data >= MIN_DATA_DAYS

    def rule(self, key: str) -> RuleResult:
        return next(r for r in self.rules if r.key == key)

    def firing(self, group: Group) -> list[RuleResult]:
        return [r for r in self.rules if r.group == group and r.fires]

    @property
    def unjudged(self) -> list[RuleResult]:
        return [r for r in self.rules if r.could_not_judge]


# What each rule reads. Telling bursts from normal traffic takes requests and response times.
_SPLIT = ("requests", "response_avg")
_ERRORS = ("target_5xx", "elb_5xx", *_SPLIT)
NEEDS: dict[str, tuple[str, ...]] = {
    "cpu-sustained": ("cpu_avg", *_SPLIT),
    "error-rate-normal": _ERRORS,
    "p95-latency-normal": ("response_p95", *_SPLIT),
    "memory-pressure": ("memory_avg",),
    "tasks-at-max": ("running_tasks", "scaling_target"),
    "scaling-frequent": ("scaling_activities", "scaling_target", *_SPLIT),
    "efs-io-limit": ("efs_io_limit",),
    "efs-burst-credits": ("efs_burst_credits",),
    "downgrade-cpu": ("cpu_avg", *_SPLIT),
    "downgrade-memory": ("memory_avg",),
    "downgrade-errors": _ERRORS,
    "downgrade-burst-cpu": ("cpu_avg", *_SPLIT),
    "downgrade-burst-errors": _ERRORS,
}


def _judgeable(rule: RuleResult, m: Measurements) -> RuleResult:
    """The rule, or its could-not-judge form when something it reads could not be read."""
    for key in NEEDS.get(rule.key, ()):
        if key in m.unavailable:
            return rule.unjudged(m.unavailable[key])
    if rule.fires is None and rule.applicable and not rule.could_not_judge:
        # Never a silent "no data": a rule without a verdict says so, as one not judged.
        return rule.unjudged("no datapoints to judge it on in this window")
    return rule


def _compare(value: float | None, comparison: str, threshold: float) -> bool | None:
    if value is None:
        return None
    return {">": value > threshold, "<": value < threshold, ">=": value >= threshold}[comparison]


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f} %"


def _fmt(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def _in_bursts(value: float | None, unit: str, prefix: str = "") -> str:
    return "no bursts" if value is None else f"{prefix}{value:.2f}{unit}"


def _error_rate(m: Measurements, timestamps: list[datetime]) -> tuple[float | None, float, float]:
    """(5xx as % of requests, 5xx count, request count) over the given periods; None when
    there are none of these periods. No requests and no 5xx is 0 %: nothing failed. 5xx
    without requests is 100 %: RequestCount leaves out what the load balancer answers itself
    (it counts requests "where the load balancer node was able to choose a target"), so a
    stack with no healthy target shows only its 503s."""
    if not timestamps:
        return None, 0.0, 0.0
    requests = sum(values_at(m.requests, timestamps))
    errors = sum(values_at(m.target_5xx, timestamps)) + sum(values_at(m.elb_5xx, timestamps))
    if requests <= 0:
        return (100.0 if errors > 0 else 0.0), errors, requests
    return errors / requests * 100, errors, requests


def evaluate(m: Measurements, step: DowngradeStep | None) -> Evaluation:
    """The guide's rules on the measurements; `step` is the size a downgrade would go to
    (None: there is no smaller size)."""
    bursts = burst_periods(m.requests, m.response_avg, m.period_s)
    # Every period the service reported CPU for; periods without requests are normal traffic.
    periods = sorted(set(m.cpu_avg) | set(m.requests))
    normal = [ts for ts in periods if ts not in bursts]
    burst_list = sorted(bursts)

    cpu_normal = values_at(m.cpu_avg, normal)
    memory_all = list(m.memory_avg.values())
    error_rate, errors, requests = _error_rate(m, normal)
    burst_error_rate, _, _ = _error_rate(m, burst_list)

    def rule(key, group, guide, measured, unit, comparison, threshold, detail) -> RuleResult:
        return RuleResult(
            key, group, guide, measured, unit, comparison, threshold, _compare(measured, comparison, threshold), detail
        )

    cpu_burst_max = max(values_at(m.cpu_max or m.cpu_avg, burst_list), default=None)
    no_cpu = "no CPUUtilization datapoints in normal traffic"
    no_memory = "no MemoryUtilization datapoints"
    error_detail = f"{errors:.0f} 5xx (target + load balancer) / {requests:.0f} requests in normal traffic" + (
        " (no requests, no 5xx: nothing failed)" if requests <= 0 and errors <= 0 else ""
    )
    rules = [
        _with_values(
            cpu_normal,
            no_cpu,
            rule(
                "cpu-sustained",
                "scale up",
                f"CPU utilization > {CPU_SCALE_UP_PERCENT:g}% sustained (not just during bursts)",
                percentile(cpu_normal, SUSTAINED_PERCENTILE),
                " %",
                ">",
                CPU_SCALE_UP_PERCENT,
                f"p75 of normal-traffic periods; above {CPU_SCALE_UP_PERCENT:g} % in "
                f"{_pct(share_above(cpu_normal, CPU_SCALE_UP_PERCENT))} "
                f"of them; mean {_fmt(_mean(cpu_normal))} %, p95 {_fmt(percentile(cpu_normal, 95))} %; "
                f"bursts: {_in_bursts(cpu_burst_max, ' %', 'peak ')}",
            ),
        ),
        rule(
            "error-rate-normal",
            "scale up",
            f"Error rate > {ERROR_RATE_SCALE_UP_PERCENT:g}% during normal traffic",
            error_rate,
            " %",
            ">",
            ERROR_RATE_SCALE_UP_PERCENT,
            f"{error_detail}; bursts: {_in_bursts(burst_error_rate, ' %')}",
        ),
        _p95_normal(m, normal, burst_list),
        _with_values(
            memory_all,
            no_memory,
            rule(
                "memory-pressure",
                "scale up",
                f"CloudWatch shows consistent memory pressure (memory alarm: > {MEMORY_PRESSURE_PERCENT:g}%)",
                percentile(memory_all, SUSTAINED_PERCENTILE),
                " %",
                ">",
                MEMORY_PRESSURE_PERCENT,
                f"p75 of all periods; above {MEMORY_PRESSURE_PERCENT:g} % in "
                f"{_pct(share_above(memory_all, MEMORY_PRESSURE_PERCENT))} of "
                f"them; max {_fmt(max(m.memory_max.values() or m.memory_avg.values(), default=None))} %",
            ),
        ),
        _tasks_at_max(m),
        _scaling_frequent(m, bursts),
        _efs(m),
        _efs_credits(m),
        _with_values(
            cpu_normal,
            no_cpu,
            rule(
                "downgrade-cpu",
                "downgrade",
                f"CPU < {DOWNGRADE_CPU_PERCENT:g}% sustained",
                percentile(cpu_normal, DOWNGRADE_PERCENTILE),
                " %",
                "<",
                DOWNGRADE_CPU_PERCENT,
                "p95 of normal-traffic periods",
            ),
        ),
        _with_values(
            memory_all,
            no_memory,
            rule(
                "downgrade-memory",
                "downgrade",
                f"memory < {DOWNGRADE_MEMORY_PERCENT:g}%",
                percentile(memory_all, DOWNGRADE_PERCENTILE),
                " %",
                "<",
                DOWNGRADE_MEMORY_PERCENT,
                "p95 of all periods",
            ),
        ),
        rule(
            "downgrade-errors",
            "downgrade",
            "error rates remain low (< 0.1%, the guide's normal load)",
            error_rate,
            " %",
            "<",
            DOWNGRADE_ERROR_RATE_PERCENT,
            error_detail,
        ),
        _burst_cpu(m, burst_list, step),
        _burst_errors(burst_error_rate, len(burst_list)),
    ]
    days = len(m.cpu_avg) * m.period_s / 86400
    facts = {
        "requests": sum(m.requests.values()),
        "burstRequests": sum(values_at(m.requests, burst_list)),
        "burstErrorRatePercent": burst_error_rate,
        "healthyHostsMin": min(m.healthy_min.values(), default=None),
        "unhealthyHostsMax": max(m.unhealthy_max.values(), default=None),
        "runningTasksNow": m.running_now,
        "desiredTasksNow": m.desired_now,
        "taskMin": m.task_min,
        "taskMax": m.task_max,
        "efsThroughputMode": m.efs_throughput_mode,
        "efsPerformanceMode": m.efs_performance_mode,
        "efsPeakMibps": peak_mibps(m),
    }
    return Evaluation(
        rules=[_judgeable(r, m) for r in rules],
        days_with_data=days,
        window_days=m.window_days,
        burst_periods=len(burst_list),
        normal_periods=len(normal),
        facts=facts,
    )


def _with_values(values: list[float], missing: str, rule: RuleResult) -> RuleResult:
    return rule if values else rule.unjudged(missing)


def _p95_normal(m: Measurements, normal: list[datetime], burst_list: list[datetime]) -> RuleResult:
    """CloudWatch gives TargetResponseTime only for periods with requests; a period with
    requests and no p95 is data missing, not a fast period."""
    with_requests = [ts for ts in normal if m.requests.get(ts, 0) > 0]
    p95_normal = values_at(m.response_p95, with_requests)
    burst_p95 = max(values_at(m.response_p95, burst_list), default=None)
    p75 = percentile(p95_normal, SUSTAINED_PERCENTILE)
    result = RuleResult(
        "p95-latency-normal",
        "scale up",
        "P95 latency > 5 seconds during normal traffic",
        p75,
        " s",
        ">",
        P95_SCALE_UP_SECONDS,
        _compare(p75, ">", P95_SCALE_UP_SECONDS),
        f"p75 of the periods' TargetResponseTime p95, normal traffic; above 5 s in "
        f"{_pct(share_above(p95_normal, P95_SCALE_UP_SECONDS))} of them; bursts: "
        f"{_in_bursts(burst_p95, ' s', 'up to ')}",
    )
    if not with_requests:
        return replace(
            result, fires=False, shown="no requests", detail="no requests in normal traffic: nothing was slow"
        )
    if not p95_normal:
        average = _mean(values_at(m.response_avg, with_requests))
        return result.unjudged(
            f"CloudWatch returned no TargetResponseTime p95 for the {len(with_requests)} normal-traffic periods "
            f"with requests (their average response time: {_fmt(average, ' s')}; the guide's p95 bound: "
            f"{P95_SCALE_UP_SECONDS:g} s)"
        )
    if len(p95_normal) < len(with_requests):
        return replace(
            result, detail=f"{result.detail}; p95 for {len(p95_normal)} of {len(with_requests)} periods with requests"
        )
    return result


def _burst_cpu(m: Measurements, burst_list: list[datetime], step: DowngradeStep | None) -> RuleResult:
    key, guide = (
        "downgrade-burst-cpu",
        f"bursts fit the smaller type: CPU < {CPU_SCALE_UP_PERCENT:g}% on it (sized for its bursts)",
    )
    if step is None:
        return RuleResult(
            key, "downgrade", guide, None, " %", "<", CPU_SCALE_UP_PERCENT, None, "no smaller size", applicable=False
        )
    if not burst_list:
        return _no_bursts(key, guide, CPU_SCALE_UP_PERCENT, f"nothing {step.to_type} must absorb")
    cpu = values_at(m.cpu_avg, burst_list)
    measured_here = percentile(cpu, DOWNGRADE_PERCENTILE)
    if measured_here is None:
        return RuleResult(key, "downgrade", guide, None, " %", "<", CPU_SCALE_UP_PERCENT, None, "").unjudged(
            f"no CPUUtilization datapoints for the {len(burst_list)} burst periods"
        )
    on_smaller = measured_here * step.load_factor
    return RuleResult(
        key,
        "downgrade",
        guide,
        on_smaller,
        " %",
        "<",
        CPU_SCALE_UP_PERCENT,
        on_smaller < CPU_SCALE_UP_PERCENT,
        f"p95 of the {len(burst_list)} burst periods' CPU, {measured_here:.2f} % on {step.from_type}, "
        f"x {step.load_factor:.2f} on {step.to_type}: {step.derivation}",
    )


def _no_bursts(key: str, guide: str, threshold: float, so: str) -> RuleResult:
    """A burst condition holds when the window has no bursts."""
    return RuleResult(
        key,
        "downgrade",
        guide,
        None,
        " %",
        "<",
        threshold,
        True,
        f"no burst periods in the window: {so}",
        shown="no bursts",
    )


def _burst_errors(burst_error_rate: float | None, burst_count: int) -> RuleResult:
    key, guide = (
        "downgrade-burst-errors",
        f"burst error rate < {BURST_ERROR_RATE_PERCENT:g}% (the guide's target under burst load)",
    )
    if burst_error_rate is None:
        return _no_bursts(key, guide, BURST_ERROR_RATE_PERCENT, "none to fail")
    return RuleResult(
        key,
        "downgrade",
        guide,
        burst_error_rate,
        " %",
        "<",
        BURST_ERROR_RATE_PERCENT,
        burst_error_rate < BURST_ERROR_RATE_PERCENT,
        f"5xx / requests over the {burst_count} burst periods on today's type; a smaller one does no better",
    )


def _scaling_frequent(m: Measurements, bursts: set[datetime]) -> RuleResult:
    """Alarm-triggered scale-outs outside bursts per day (scaling.py says why)."""
    key, guide = "scaling-frequent", "ECS service auto-scaling is frequently triggered"
    since = max(m.start, m.end - timedelta(days=ACTIVITY_RETENTION_DAYS))
    days = (m.end - since).total_seconds() / 86400
    outs = [a for a in scale_outs(m.scaling_activities, m.task_min) if since <= a.start < m.end]
    in_bursts = [a for a in outs if with_bursts(a, bursts, m.period_s)]
    normal = len(outs) - len(in_bursts)
    per_day = normal / days if days > 0 else None
    covered = "" if since == m.start else f" (activities are kept six weeks: the last {days:g} days)"
    return RuleResult(
        key,
        "scale out",
        guide,
        per_day,
        " /day",
        ">",
        SCALE_OUTS_PER_DAY,
        _compare(per_day, ">", SCALE_OUTS_PER_DAY),
        f"{normal} alarm-triggered scale-outs outside bursts in {days:g} days{covered}; {len(in_bursts)} more "
        "with bursts (the task headroom at work); more than one a day outside bursts is frequent",
    )


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _tasks_at_max(m: Measurements) -> RuleResult:
    key, guide = "tasks-at-max", "Task count consistently at task_max_count"
    running = list(m.running_tasks.values())
    now = m.running_now if m.running_now is not None else "-"
    if m.task_max is None:
        return RuleResult(key, "scale out", guide, None, " tasks", ">=", 0, None, "").unjudged(
            "no scaling target found for the service"
        )
    if not running:
        return RuleResult(key, "scale out", guide, None, " tasks", ">=", m.task_max, None, "").unjudged(
            f"no ECS/ContainerInsights RunningTaskCount (is Container Insights off?); now {now} running of max "
            f"{m.task_max}"
        )
    measured = percentile(running, SUSTAINED_PERCENTILE)
    at_max = sum(1 for v in running if v >= m.task_max)
    detail = (
        f"p75 of RunningTaskCount (max per period) against the scaling target's max {m.task_max}; "
        f"at max in {_pct(at_max / len(running))} of periods; now {now} running"
    )
    return RuleResult(
        key,
        "scale out",
        guide,
        measured,
        " tasks",
        ">=",
        m.task_max,
        _compare(measured, ">=", m.task_max),
        detail,
    )


def _efs(m: Measurements) -> RuleResult:
    guide = f"PercentIOLimit > {EFS_IO_LIMIT_PERCENT:g}% sustained"
    values = list(m.efs_io_limit.values())
    if m.efs_performance_mode not in (None, "generalPurpose"):
        return RuleResult(
            "efs-io-limit",
            "EFS throughput",
            guide,
            None,
            " %",
            ">",
            EFS_IO_LIMIT_PERCENT,
            None,
            f"not applicable: PercentIOLimit exists only for General Purpose file systems "
            f"(this one is {m.efs_performance_mode})",
            applicable=False,
        )
    measured = percentile(values, SUSTAINED_PERCENTILE)
    return _with_values(
        values,
        "no PercentIOLimit datapoints",
        RuleResult(
            "efs-io-limit",
            "EFS throughput",
            guide,
            measured,
            " %",
            ">",
            EFS_IO_LIMIT_PERCENT,
            _compare(measured, ">", EFS_IO_LIMIT_PERCENT),
            f"p75 of all periods; above {EFS_IO_LIMIT_PERCENT:g} % in "
            f"{_pct(share_above(values, EFS_IO_LIMIT_PERCENT))} of them; "
            f"throughput mode {m.efs_throughput_mode or '-'}",
        ),
    )


def _efs_credits(m: Measurements) -> RuleResult:
    """ "Depleting": at the window's net drain rate the balance runs out within as many days as
    the window covers (first to last datapoint)."""
    key, guide = "efs-burst-credits", 'EFS burst credits depleting (only if efs_throughput_mode = "bursting")'
    if m.efs_throughput_mode != "bursting":
        return RuleResult(
            key,
            "EFS throughput",
            guide,
            None,
            " days",
            "<",
            m.window_days,
            None,
            f"not applicable: {m.efs_throughput_mode or 'this'} throughput has no burst credits",
            applicable=False,
        )
    points = sorted(m.efs_burst_credits.items())
    if len(points) < 2:
        return RuleResult(key, "EFS throughput", guide, None, " days", "<", m.window_days, None, "").unjudged(
            f"{len(points)} BurstCreditBalance datapoints; a drain rate takes two"
        )
    (t0, first), (t1, last) = points[0], points[-1]
    drain_per_day = (first - last) / ((t1 - t0).total_seconds() / 86400)
    if drain_per_day <= 0:
        return RuleResult(
            key,
            "EFS throughput",
            guide,
            None,
            " days",
            "<",
            m.window_days,
            False,
            f"balance not draining: {first / 2**30:.0f} -> {last / 2**30:.0f} GiB of credits",
            shown="not draining",
        )
    days_left = last / drain_per_day
    return RuleResult(
        key,
        "EFS throughput",
        guide,
        days_left,
        " days",
        "<",
        m.window_days,
        days_left < m.window_days,
        f"days until the balance is empty at this window's drain rate "
        f"({first / 2**30:.0f} -> {last / 2**30:.0f} GiB of credits)",
    )


def peak_mibps(m: Measurements) -> float | None:
    """Highest metered EFS throughput of any period, MiB/s."""
    peak = max(m.efs_metered_bytes.values(), default=None)
    return None if peak is None else peak / m.period_s / 2**20
