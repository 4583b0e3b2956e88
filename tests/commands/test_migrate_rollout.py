"""commands/migrate/rollout.py: instance refresh, ECS deployment, capacity and partial-capacity time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from commands.migrate.diff import diff_resources
from commands.migrate.rollout import CONTAINER_STOP_SECONDS, INSTANCE_BOOT_SECONDS, TASK_START_SECONDS, plan_rollout
from components.config import load_config
from tests.support.migrate_fixtures import ASG, happy_stack, preview_of

BIGGER_TASK = '[{"name": "pypiserver", "cpu": 1112, "memory": 896}]'
# From the fixture's target group: 30 s deregistration, 2 x 15 s health checks.
DRAIN = 30 + CONTAINER_STOP_SECONDS
TASK_READY = TASK_START_SECONDS + 2 * 15


def cfg(profile: str, **keys: object):
    return load_config({"pypiserver:profile": profile, **{f"pypiserver:{k}": str(v) for k, v in keys.items()}})


def plan(before_resources, after_resources, before_cfg, after_cfg):
    return plan_rollout(
        diff_resources(before_resources, after_resources),
        preview_of(before_resources, before_cfg),
        preview_of(after_resources, after_cfg),
    )


def with_refresh_preferences(resources, **prefs):
    out = []
    for r in resources:
        if r.type == ASG:
            refresh = {"strategy": "Rolling", "preferences": {**r.inputs["instanceRefresh"]["preferences"], **prefs}}
            r = replace(r, inputs={**r.inputs, "instanceRefresh": refresh})
        out.append(r)
    return out


def test_launch_before_terminate_keeps_full_capacity():
    p = plan(happy_stack(), happy_stack("c6a.2xlarge"), cfg("heavy"), cfg("heavy", instanceType="c6a.2xlarge"))
    ir = p.instance_refresh
    assert ir is not None, "a new launch template version must start an instance refresh"
    assert (ir.min_healthy_percent, ir.max_healthy_percent, ir.instance_warmup_seconds) == (100, 200, 300), (
        "the refresh settings come from the rendered ASG"
    )
    assert ir.launch_before_terminate and (ir.batch_size, ir.batches) == (2, 1)
    assert p.partial.seconds == 0, "replacements launch before anything terminates: no partial capacity"
    assert not p.stalls and p.warnings == []
    assert p.partial.rollout_seconds == INSTANCE_BOOT_SECONDS + 300 + DRAIN


def test_terminate_first_is_partial_for_each_batch():
    before = with_refresh_preferences(happy_stack(), minHealthyPercentage=50.0, maxHealthyPercentage=100.0)
    after = with_refresh_preferences(happy_stack("c6a.2xlarge"), minHealthyPercentage=50.0, maxHealthyPercentage=100.0)
    p = plan(before, after, cfg("heavy"), cfg("heavy", instanceType="c6a.2xlarge"))
    assert (p.instance_refresh.batch_size, p.instance_refresh.batches) == (1, 2), "50% healthy of 2: one at a time"
    assert p.partial.seconds == 2 * (DRAIN + INSTANCE_BOOT_SECONDS + TASK_READY)
    assert p.partial.lowest_serving_tasks == 6, "one c6a.xlarge (6 tasks) serves while the other is replaced"
    assert any("boot" in a for a in p.partial.assumptions), "the estimate states its assumptions"


def test_refresh_that_would_skip_protected_instances_warns():
    before = [
        replace(r, inputs={**r.inputs, "protectFromScaleIn": True}) if r.type == ASG else r for r in happy_stack()
    ]
    after = [
        replace(r, inputs={**r.inputs, "protectFromScaleIn": True}) if r.type == ASG else r
        for r in happy_stack("c6a.2xlarge")
    ]
    p = plan(before, after, cfg("heavy"), cfg("heavy", instanceType="c6a.2xlarge"))
    assert any("scaleInProtectedInstances" in w for w in p.warnings), (
        "protected instances are not refreshed unless the preference says Refresh"
    )
    fixed = with_refresh_preferences(after, scaleInProtectedInstances="Refresh")
    assert not plan(before, fixed, cfg("heavy"), cfg("heavy", instanceType="c6a.2xlarge")).warnings


def test_template_change_behind_latest_warns_that_nothing_refreshes():
    p = plan(
        happy_stack(asg_version="$Latest"),
        happy_stack("c6a.2xlarge", asg_version="$Latest"),
        cfg("heavy"),
        cfg("heavy", instanceType="c6a.2xlarge"),
    )
    assert p.instance_refresh is None
    assert any("no instance refresh" in w for w in p.warnings)


def test_new_revision_rolls_an_ecs_deployment_with_the_rendered_settings():
    p = plan(happy_stack(), happy_stack(containers=BIGGER_TASK), cfg("heavy"), cfg("heavy"))
    d = p.deployment
    assert d is not None and (d.min_healthy_percent, d.max_percent, d.circuit_breaker, d.rollback) == (
        100,
        200,
        True,
        True,
    )
    assert (d.desired_tasks, d.spare_slots, d.waves) == (12, 12, 1), (
        "24 slots at ASG max hold 12 new tasks beside the 12 old ones: one wave"
    )
    assert p.instance_refresh is None and p.partial.seconds == 0


def test_deployment_without_room_stalls():
    light = cfg("light")  # 2 x t3.small hold exactly the 6 desired tasks, ASG max 2
    p = plan(happy_stack("t3.small"), happy_stack("t3.small", containers=BIGGER_TASK), light, light)
    assert p.deployment.waves == 0 and p.deployment.spare_slots == 0 and p.stalls
    assert any("stalls" in w and "circuit breaker" in w for w in p.warnings)


def test_downgrade_below_running_tasks_warns_and_shows_the_dip():
    p = plan(happy_stack(), happy_stack("t3.small"), cfg("heavy"), cfg("light"))
    assert any("holds 6 tasks at ASG max" in w and "refresh can stall" in w for w in p.warnings) and p.stalls
    assert (p.partial.serving_now, p.partial.lowest_serving_tasks) == (12, 6)
    changed = {c.field: (c.before, c.after) for c in p.capacity}
    assert changed["tasksPerInstance"] == (6, 3) and changed["taskMin"] == (12, 6)
    assert changed["asgMaxSize"] == (4, 2)


@pytest.mark.parametrize("profile", ["light", "heavy"])
def test_no_change_no_rollout(profile):
    stack = happy_stack()
    p = plan(stack, stack, cfg(profile), cfg(profile))
    assert (p.instance_refresh, p.deployment, p.capacity, p.partial.rollout_seconds) == (None, None, [], 0)
