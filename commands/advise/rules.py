"""The sizing guide's "When to Scale Up" and "Downgrading" rules, applied to measured series
(pure: the series come in as plain dicts, nothing here talks to AWS).

"Sustained" and "consistent" are the guide's words without a number. Here they mean: the
75th percentile of the periods is beyond the threshold, i.e. the stack spent more than a
quarter of the window (over six hours a day on average) there. Shorter spikes are what the
alarms are for; they are not a reason to buy a bigger instance. Downgrades ask the
opposite with a margin: the 95th percentile under the guide's bound (under it 95 % of
the time), so a downgrade never rides on an average that hides daily peaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from guide.thresholds import (
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

    @property
    def window_days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


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

    def describe_measured(self) -> str:
        if self.measured is None:
            return self.shown or ("n/a" if not self.applicable else "no data")
        return f"{self.measured:.2f}{self.unit}" if self.unit != " tasks" else f"{self.measured:.0f}{self.unit}"


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
    """(5xx as % of requests, 5xx count, request count) over the given periods."""
    requests = sum(values_at(m.requests, timestamps))
    errors = sum(values_at(m.target_5xx, timestamps)) + sum(values_at(m.elb_5xx, timestamps))
    if requests <= 0:
        return None, errors, requests
    return errors / requests * 100, errors, requests


def evaluate(m: Measurements) -> Evaluation:
    bursts = burst_periods(m.requests, m.response_avg, m.period_s)
    # Every period the service reported CPU for; periods without requests are normal traffic.
    periods = sorted(set(m.cpu_avg) | set(m.requests))
    normal = [ts for ts in periods if ts not in bursts]
    burst_list = sorted(bursts)

    cpu_normal = values_at(m.cpu_avg, normal)
    memory_all = list(m.memory_avg.values())
    p95_normal = values_at(m.response_p95, normal)
    error_rate, errors, requests = _error_rate(m, normal)
    burst_error_rate, _, _ = _error_rate(m, burst_list)

    def rule(key, group, guide, measured, unit, comparison, threshold, detail) -> RuleResult:
        return RuleResult(
            key, group, guide, measured, unit, comparison, threshold, _compare(measured, comparison, threshold), detail
        )

    cpu_p75 = percentile(cpu_normal, SUSTAINED_PERCENTILE)
    cpu_burst_max = max(values_at(m.cpu_max or m.cpu_avg, burst_list), default=None)
    rules = [
        rule(
            "cpu-sustained",
            "scale up",
            f"CPU utilization > {CPU_SCALE_UP_PERCENT:g}% sustained (not just during bursts)",
            cpu_p75,
            " %",
            ">",
            CPU_SCALE_UP_PERCENT,
            f"p75 of normal-traffic periods; above {CPU_SCALE_UP_PERCENT:g} % in "
            f"{_pct(share_above(cpu_normal, CPU_SCALE_UP_PERCENT))} "
            f"of them; mean {_fmt(_mean(cpu_normal))} %, p95 {_fmt(percentile(cpu_normal, 95))} %; "
            f"bursts: {_in_bursts(cpu_burst_max, ' %', 'peak ')}",
        ),
        rule(
            "error-rate-normal",
            "scale up",
            "Error rate > 1% during normal traffic",
            error_rate,
            " %",
            ">",
            ERROR_RATE_SCALE_UP_PERCENT,
            f"{errors:.0f} 5xx (target + load balancer) / {requests:.0f} requests in normal traffic; "
            f"bursts: {_in_bursts(burst_error_rate, ' %')}",
        ),
        rule(
            "p95-latency-normal",
            "scale up",
            "P95 latency > 5 seconds during normal traffic",
            percentile(p95_normal, SUSTAINED_PERCENTILE),
            " s",
            ">",
            P95_SCALE_UP_SECONDS,
            f"p75 of the periods' TargetResponseTime p95, normal traffic; above 5 s in "
            f"{_pct(share_above(p95_normal, P95_SCALE_UP_SECONDS))} of them; bursts: "
            f"{_in_bursts(max(values_at(m.response_p95, burst_list), default=None), ' s', 'up to ')}",
        ),
        rule(
            "memory-pressure",
            "scale up",
            f"CloudWatch shows consistent memory pressure (memory alarm: > {MEMORY_PRESSURE_PERCENT:g}%)",
            percentile(memory_all, SUSTAINED_PERCENTILE),
            " %",
            ">",
            MEMORY_PRESSURE_PERCENT,
            f"p75 of all periods; above {MEMORY_PRESSURE_PERCENT:g} % in "
            f"{_pct(share_above(memory_all, MEMORY_PRESSURE_PERCENT))} of them; "
            f"max {_fmt(max(m.memory_max.values() or m.memory_avg.values(), default=None))} %",
        ),
        _tasks_at_max(m),
        _efs(m),
        _efs_credits(m),
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
        rule(
            "downgrade-errors",
            "downgrade",
            "error rates remain low (< 0.1%, the guide's normal load)",
            error_rate,
            " %",
            "<",
            DOWNGRADE_ERROR_RATE_PERCENT,
            "5xx / requests in normal traffic",
        ),
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
        rules=rules,
        days_with_data=days,
        window_days=m.window_days,
        burst_periods=len(burst_list),
        normal_periods=len(normal),
        facts=facts,
    )


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _tasks_at_max(m: Measurements) -> RuleResult:
    guide = "Task count consistently at task_max_count"
    running = list(m.running_tasks.values())
    if m.task_max is None:
        return RuleResult(
            "tasks-at-max", "scale out", guide, None, " tasks", ">=", 0, None, "no scaling target found for the service"
        )
    if not running:
        return RuleResult(
            "tasks-at-max",
            "scale out",
            guide,
            None,
            " tasks",
            ">=",
            m.task_max,
            None,
            f"no ECS/ContainerInsights RunningTaskCount (is Container Insights off?); now "
            f"{m.running_now if m.running_now is not None else '-'} running of max {m.task_max}",
        )
    measured = percentile(running, SUSTAINED_PERCENTILE)
    at_max = sum(1 for v in running if v >= m.task_max)
    detail = (
        f"p75 of RunningTaskCount (max per period) against the scaling target's max {m.task_max}; "
        f"at max in {_pct(at_max / len(running))} of periods; now "
        f"{m.running_now if m.running_now is not None else '-'} running"
    )
    return RuleResult(
        "tasks-at-max",
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
    return RuleResult(
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
        return RuleResult(
            key, "EFS throughput", guide, None, " days", "<", m.window_days, None, "no BurstCreditBalance datapoints"
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
