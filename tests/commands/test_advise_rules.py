"""commands.advise's pure parts: bursts vs normal traffic, "sustained", size steps, the
choice between rules and the cost change. Expected values from the guide's numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commands.advise.recommend import downgrade_step, recommend
from commands.advise.rules import Measurements, evaluate
from commands.advise.scaling import ScalingActivity
from commands.advise.traffic import burst_periods, percentile
from guide.ladder import next_size_down, next_size_up

T0 = datetime(2026, 11, 1, tzinfo=UTC)
HOUR = 3600


def hours(n: int) -> list[datetime]:
    return [T0 + timedelta(hours=i) for i in range(n)]


def measured(n: int = 72, **series) -> Measurements:
    """n hourly periods; each keyword is a per-period list or a constant."""
    ts = hours(n)
    defaults = {
        "cpu_avg": 60,
        "memory_avg": 65,
        "requests": 3000,
        "response_avg": 0.3,
        "response_p95": 0.5,
        "target_5xx": 0,
        "elb_5xx": 0,
        "running_tasks": 12,
        "efs_io_limit": 10,
        "efs_metered_bytes": 2**30,
    }
    data = {}
    for key, value in {**defaults, **series}.items():
        values = value if isinstance(value, list) else [value] * n
        data[key] = dict(zip(ts, values))
    return Measurements(
        period_s=HOUR,
        start=ts[0],
        end=ts[-1] + timedelta(hours=1),
        task_min=12,
        task_max=24,
        efs_performance_mode="generalPurpose",
        efs_throughput_mode="elastic",
        **data,
    )


def judge(m: Measurements, stack: str = "heavy"):
    """The rules as the advisor runs them: with the stack's next size down."""
    return evaluate(m, downgrade_step(stack))


def test_percentile_is_nearest_rank():
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile([1, 2, 3, 4], 75) == 3
    assert percentile(range(1, 101), 95) == 95
    assert percentile([], 95) is None


def test_a_busy_working_day_is_normal_traffic_and_a_spike_is_a_burst():
    ts = hours(24)
    # Night 1000/h, day 6000/h at 0.5 s: 6 x the night median but under 1 concurrent request.
    requests = {t: 6000 if 8 <= t.hour < 18 else 1000 for t in ts}
    response = {t: 0.5 for t in ts}
    assert burst_periods(requests, response, HOUR) == set()
    # One hour of 200 000 requests at 1 s: 55 concurrent, the guide's "moderate burst".
    spike = ts[12]
    requests[spike], response[spike] = 200_000, 1.0
    assert burst_periods(requests, response, HOUR) == {spike}


def test_slow_answers_to_usual_traffic_are_not_a_burst():
    """An overloaded stack: the same requests, answered in 90 s (75 concurrent)."""
    ts = hours(24)
    requests = {t: 3000 for t in ts}
    response = {t: 90.0 for t in ts}
    assert burst_periods(requests, response, HOUR) == set()


@pytest.mark.parametrize("hot, fires", [(26, True), (25, False)])
def test_sustained_means_more_than_a_quarter_of_the_periods(hot, fires):
    cpu = [90] * hot + [50] * (100 - hot)
    rule = judge(measured(100, cpu_avg=cpu)).rule("cpu-sustained")
    assert rule.fires is fires


def test_exactly_at_a_threshold_does_not_fire():
    e = judge(measured(cpu_avg=80, memory_avg=90, response_p95=5.0, efs_io_limit=80))
    assert [e.rule(k).fires for k in ("cpu-sustained", "memory-pressure", "p95-latency-normal", "efs-io-limit")] == [
        False
    ] * 4


def test_error_rate_counts_target_and_load_balancer_5xx():
    # 20 + 20 of 3000 per hour = 1.33 % > 1 %; either alone is 0.67 %.
    e = judge(measured(target_5xx=20, elb_5xx=20))
    assert e.rule("error-rate-normal").measured == pytest.approx(40 / 3000 * 100)
    assert e.rule("error-rate-normal").fires is True


@pytest.mark.parametrize(
    "current, bigger",
    [
        ("c6a.xlarge", "c6a.2xlarge"),
        ("c6a.large", "c6a.xlarge"),
        ("t3.small", "c6a.large"),  # the guide's light -> medium: compute-optimized, no less vCPU or memory
        ("t3.medium", "c6a.large"),
        ("c6a.4xlarge", None),  # the catalog's largest
    ],
)
def test_next_size_up(current, bigger):
    assert next_size_up(current) == bigger


@pytest.mark.parametrize(
    "current, smaller",
    [
        ("c6a.2xlarge", "c6a.xlarge"),
        ("c6a.xlarge", "c6a.large"),  # the guide's stages: c6a.xlarge -> c6a.large -> t3.medium
        ("c6a.large", "t3.medium"),
        ("t3.medium", "t3.small"),
        ("t3.small", None),  # the guide's smallest
    ],
)
def test_next_size_down_follows_the_guides_stages(current, smaller):
    assert next_size_down(current) == smaller


def test_light_on_sustained_cpu_moves_to_compute_optimized():
    rec = recommend("light", judge(measured(cpu_avg=85), "light"))
    assert (rec.action, rec.settings) == ("scale up", {"instanceType": "c6a.large"})
    assert any("burstable" in line for line in rec.reasoning)
    # 2 instances x 730 h x ($0.0765 c6a.large - $0.0208 t3.small, the guide's price)
    assert rec.cost_delta == pytest.approx(2 * 730 * (0.0765 - 0.0208), abs=0.01)


def test_idle_light_stays_at_the_smallest_size():
    rec = recommend("light", judge(measured(cpu_avg=5, memory_avg=20, requests=100), "light"))
    assert rec.action == "stay" and any("already the guide's smallest" in line for line in rec.reasoning)


def test_cpu_beats_efs_and_efs_beats_latency():
    both = judge(measured(cpu_avg=90, efs_io_limit=95))
    assert recommend("heavy", both).action == "scale up"
    latency = judge(measured(response_p95=7.0, efs_io_limit=95))
    assert recommend("heavy", latency).action == "raise EFS throughput"
    assert recommend("heavy", judge(measured(response_p95=7.0))).action == "scale up"


def test_efs_rule_does_not_apply_to_max_io_file_systems():
    m = measured(efs_io_limit=95)
    m = Measurements(**{**m.__dict__, "efs_performance_mode": "maxIO"})
    rule = judge(m).rule("efs-io-limit")
    assert rule.fires is None and "General Purpose" in rule.detail


def test_not_enough_data_names_the_days_needed():
    e = judge(measured(36, cpu_avg=95))  # 1.5 days
    rec = recommend("heavy", e)
    assert rec.action == "not enough data" and rec.command is None
    assert "1.5 days" in rec.reasoning[0] and "run again in 0.5 days" in rec.reasoning[0]


def test_without_container_insights_tasks_at_max_is_not_judged_and_says_why():
    m = measured()
    m = Measurements(**{**m.__dict__, "running_tasks": {}})
    rule = judge(m).rule("tasks-at-max")
    assert rule.fires is None and rule.measured is None and rule.verdict == "not judged"
    assert rule.could_not_judge and "Container Insights" in rule.could_not_judge


def test_burst_credits_apply_to_bursting_only_and_need_a_net_drain():
    elastic = judge(measured()).rule("efs-burst-credits")
    assert elastic.applicable is False and elastic.fires is None
    m = measured(efs_burst_credits=[2**40 + i for i in range(72)])  # growing
    m = Measurements(**{**m.__dict__, "efs_throughput_mode": "bursting"})
    rule = judge(m).rule("efs-burst-credits")
    assert rule.fires is False and rule.describe_measured() == "not draining"


# -- a downgrade must carry the bursts --------------------------------------------------------------


def bursty(n: int = 72, **series) -> Measurements:
    """Quiet hours with a 200 000-request burst every 8th hour (2.55 s on average: 142 in flight)."""
    base = {
        "cpu_avg": [40 if i % 8 == 0 else 10 for i in range(n)],
        "memory_avg": 30,
        "requests": [200_000 if i % 8 == 0 else 3000 for i in range(n)],
        "response_avg": [2.55 if i % 8 == 0 else 0.3 for i in range(n)],
    }
    return measured(n, **{**base, **series})


@pytest.mark.parametrize(
    "stack, smaller, factor",
    [
        ("heavy", "c6a.large", 2.0),  # 6 tasks x 640 CPU units per c6a.xlarge, 3 x 640 per c6a.large
        ("medium", "t3.medium", 1.0),  # both 2 vCPU: 3 tasks each
    ],
)
def test_the_smaller_type_takes_the_load_in_proportion_to_the_cpu_its_tasks_reserve(stack, smaller, factor):
    step = downgrade_step(stack)
    assert step is not None and (step.to_type, step.load_factor) == (smaller, factor)


def test_no_downgrade_step_from_the_smallest_type():
    assert downgrade_step("light") is None


def test_burst_cpu_is_judged_on_the_smaller_type():
    e = judge(bursty())
    rule = e.rule("downgrade-burst-cpu")
    assert (rule.measured, rule.fires) == (80.0, False)  # 40 % x 2 is not under 80 %
    rec = recommend("heavy", e)
    assert rec.action == "stay" and any("downgrade to c6a.large refused" in line for line in rec.reasoning)


def test_bursts_already_failing_refuse_a_downgrade():
    # 3000 5xx of 200 000 requests in each burst: 1.5 %, past the guide's < 1 % under burst load.
    e = judge(bursty(target_5xx=[3000 if i % 8 == 0 else 0 for i in range(72)], cpu_avg=10))
    assert e.rule("downgrade-burst-cpu").fires is True
    rule = e.rule("downgrade-burst-errors")
    assert rule.measured == pytest.approx(1.5) and rule.fires is False
    assert recommend("heavy", e).action == "stay"


def test_without_bursts_the_burst_conditions_hold():
    e = judge(measured(cpu_avg=10, memory_avg=30))
    assert [e.rule(k).describe_measured() for k in ("downgrade-burst-cpu", "downgrade-burst-errors")] == [
        "no bursts"
    ] * 2
    assert recommend("heavy", e).action == "downgrade"


# -- no traffic is not missing data ------------------------------------------------------------------


def test_load_balancer_5xx_without_requests_is_every_request_failing():
    """RequestCount leaves out what the load balancer answers itself (503: no healthy target)."""
    e = judge(measured(requests=0, elb_5xx=40, cpu_avg=5, memory_avg=20))
    assert e.rule("error-rate-normal").measured == 100 and e.rule("error-rate-normal").fires is True
    assert e.rule("downgrade-errors").fires is False


def test_a_failed_query_marks_only_the_rules_that_read_it():
    m = Measurements(**{**measured(cpu_avg=10, memory_avg=30).__dict__, "unavailable": {"memory_avg": "denied"}})
    e = judge(m)
    assert [r.key for r in e.unjudged] == ["memory-pressure", "downgrade-memory"]
    assert e.rule("memory-pressure").could_not_judge == "denied"
    rec = recommend("heavy", e)
    assert rec.action == "stay" and rec.could_not_judge == {"memory-pressure": "denied", "downgrade-memory": "denied"}


# -- auto-scaling triggered for everyday traffic -------------------------------------------------------

OUT = "monitor alarm TargetTracking-service/c/s-AlarmHigh-1 in state ALARM triggered policy cpu"
IN = "monitor alarm TargetTracking-service/c/s-AlarmLow-2 in state ALARM triggered policy cpu"


def activity(hour: int, desired: int, cause: str = OUT, status: str = "Successful") -> ScalingActivity:
    return ScalingActivity(T0 + timedelta(hours=hour, minutes=10), desired, status, cause)


def scaling_rule(*activities: ScalingActivity):
    m = Measurements(**{**measured().__dict__, "scaling_activities": activities})
    return judge(m).rule("scaling-frequent")


def test_one_scale_out_a_day_is_a_daily_peak_not_frequent():
    once_a_day = [a for day in range(3) for a in (activity(24 * day + 9, 16), activity(24 * day + 12, 12, IN))]
    rule = scaling_rule(*once_a_day)
    assert (rule.measured, rule.fires) == (1.0, False)
    rule = scaling_rule(*once_a_day, activity(20, 14))  # one more in three days
    assert rule.measured == pytest.approx(4 / 3) and rule.fires is True


def test_only_alarm_triggered_raises_that_took_effect_are_scale_outs():
    rule = scaling_rule(
        activity(1, 16),  # counted: 12 -> 16
        activity(2, 20, status="Failed"),  # never took effect
        activity(3, 14, IN),  # a scale-in
        activity(4, 18, cause="maximum capacity was set to 18"),  # the target's range changed by hand
        activity(5, 18),  # no raise: already 18
    )
    assert rule.measured == pytest.approx(1 / 3)
    assert rule.detail.startswith("1 alarm-triggered scale-outs outside bursts in 3 days")


def test_scale_outs_with_bursts_are_not_counted():
    m = bursty()
    m = Measurements(**{**m.__dict__, "scaling_activities": (activity(8, 16), activity(17, 17), activity(30, 18))})
    rule = judge(m).rule("scaling-frequent")
    # Hours 8 (a burst), 17 (just after the one at 16) go with bursts; hour 30 is quiet.
    assert rule.measured == pytest.approx(1 / 3) and "2 more with bursts" in rule.detail


def test_a_p95_missing_for_some_periods_is_judged_on_the_rest_and_says_so():
    m = measured()
    some = dict(list(m.response_p95.items())[:60])
    rule = judge(Measurements(**{**m.__dict__, "response_p95": some})).rule("p95-latency-normal")
    assert rule.verdict == "no" and rule.detail.endswith("; p95 for 60 of 72 periods with requests")


def test_no_p95_while_there_were_requests_is_not_judged():
    m = measured(response_avg=7.0)
    rule = judge(Measurements(**{**m.__dict__, "response_p95": {}})).rule("p95-latency-normal")
    assert rule.verdict == "not judged" and "average response time: 7.00 s" in (rule.could_not_judge or "")
