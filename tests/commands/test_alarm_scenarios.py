"""commands/alarms/: every alarm a stack renders, evaluated as CloudWatch does (evaluation.py,
checked against the user guide in test_alarm_evaluation.py) over what AWS would emit in each
scenario (scenarios.py): each failure trips an alarm that notifies someone, normal traffic and
an idle night trip none."""

from __future__ import annotations

from dataclasses import replace

import pytest

from commands.alarms import scenarios
from commands.alarms.notifications import unheard_line
from commands.alarms.scenarios import SCENARIOS, Minute, World, emitted
from commands.alarms.simulate import simulate, table
from tests.support.stacks import SHIPPED_STACKS, render

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EMAILS = ["ops@example.com"]
# The alarms that see an outage (the others watch targets that are gone, or metrics that stop).
OUTAGE_ALARMS = ("pypiserver-elb-5xx", "pypiserver-no-running-task", "pypiserver-healthy-tasks-low")


@pytest.fixture(scope="module", params=SHIPPED_STACKS)
def subscribed(request):
    preview = render(request.param, alarmEmails=EMAILS)
    results, unsupported = simulate(preview)
    print(f"\n{request.param}:\n" + "\n".join(" | ".join(row) for row in table(results)))
    return request.param, preview, results, unsupported


def test_every_rendered_alarm_is_simulated(subscribed):
    stack, preview, results, unsupported = subscribed
    assert unsupported == []
    assert {o.alarm for o in results[0].outcomes} == {a.name for a in preview.of_type(ALARM)}


def test_each_failure_trips_an_alarm_that_notifies_someone(subscribed):
    stack, _, results, _ = subscribed
    unheard = [r.scenario.name for r in results if r.scenario.failure and not r.heard]
    assert unheard == [], f"{stack}: failures no one hears about"


def test_normal_traffic_and_an_idle_night_trip_no_alarm(subscribed):
    stack, _, results, _ = subscribed
    noisy = {r.scenario.name: [o.alarm for o in r.fired] for r in results if not r.scenario.failure}
    assert noisy == {"normal traffic": [], "idle night": []}, f"{stack}: false alarms"


def test_the_shipped_stacks_reach_nobody_and_the_preview_says_so():
    preview = render("heavy")
    results, _ = simulate(preview)
    assert all(not r.heard for r in results if r.scenario.failure), "no subscription: every failure goes unheard"
    line = unheard_line(preview)
    assert line is not None and "pypiserver-alarms" in line and "pypiserver:alarmEmails" in line
    assert unheard_line(render("heavy", alarmEmails=EMAILS)) is None


def test_without_the_outage_alarms_an_outage_is_silent():
    # What the stack had before: the guide's alarms and the unhealthy-hosts one, all treating
    # missing data as not breaching. With no task running they see nothing.
    preview = render("heavy", alarmEmails=EMAILS)
    before = replace(preview, resources=[r for r in preview.resources if r.name not in OUTAGE_ALARMS])
    results, _ = simulate(before)
    silent = {r.scenario.name for r in results if r.scenario.failure and not r.fired}
    assert {"no task running", "no task running at night"} <= silent


def test_a_task_count_reported_as_zero_alarms_as_a_missing_one_does(monkeypatch):
    preview = render("heavy", alarmEmails=EMAILS)
    original = World.from_preview
    monkeypatch.setattr(
        World, "from_preview", classmethod(lambda cls, p: replace(original(p), reports_zero_tasks=True))
    )
    results, _ = simulate(preview)
    night = next(r for r in results if r.scenario.name == "no task running at night")
    assert "pypiserver-no-running-task" in {o.alarm for o in night.fired}


# -- what AWS emits ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world():
    return World.from_preview(render("heavy"))


def names(samples) -> set[tuple[str, str]]:
    return {(namespace, metric) for namespace, metric, _ in samples}


def test_with_no_task_running_only_the_load_balancers_own_answers_are_reported(world):
    outage = emitted(world, Minute(running=0, healthy=0, unhealthy=0, requests=300, elb_5xx=300))
    assert ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count") in names(outage)
    assert not {m for m in names(outage) if m[0] in ("AWS/ECS", "ECS/ContainerInsights")}, (
        "no running task: no ECS data"
    )
    assert ("AWS/ApplicationELB", "TargetResponseTime") not in names(outage), "no target answered"
    (elb_5xx,) = [dims for ns, metric, dims in outage if metric == "HTTPCode_ELB_5XX_Count"]
    assert dict(elb_5xx) == {"LoadBalancer": world.load_balancer}, "the load balancer's own metric: no target group"


def test_an_idle_load_balancer_reports_nothing(world):
    night = emitted(world, Minute(running=world.tasks, healthy=world.tasks, unhealthy=0, requests=0, cpu=1, memory=40))
    assert {m for m in names(night) if m[0] == "AWS/ApplicationELB"} == set()
    assert ("AWS/ECS", "CPUUtilization") in names(night), "running tasks report CPU whether or not anyone asks"


def test_scenarios_are_the_same_on_every_run(world):
    for s in SCENARIOS:
        assert s.minutes(world) == s.minutes(world), s.name
    assert len(SCENARIOS[0].minutes(world)) == scenarios.MINUTES
