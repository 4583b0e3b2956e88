"""commands/migrate/advice.py: staged downgrades, burstable warning, architecture checks."""

from __future__ import annotations

import json

import pytest

from commands.migrate.advice import architecture_checks, guide_advice
from components.compute import ECS_AMI_PARAMETER
from components.config import load_config
from guide.ladder import downgrade_stages
from tests.support.migrate_fixtures import LAUNCH_TEMPLATE, TASK_DEFINITION, happy_stack, preview_of, with_inputs

MULTI_ARCH = json.dumps(
    [{"name": "pypiserver", "image": "pypiserver/pypiserver:v2.4.2"}, {"name": "nginx", "image": "nginx:1.28.0-alpine"}]
)


def cfg(profile: str, **keys: str):
    return load_config({"pypiserver:profile": profile, **{f"pypiserver:{k}": v for k, v in keys.items()}})


def topics(advice, level=None) -> list[str]:
    return [a.topic for a in advice if level is None or a.level == level]


@pytest.mark.parametrize(
    "start, end, stages",
    [
        ("c6a.xlarge", "t3.small", ["c6a.large", "t3.medium"]),  # the guide's own example, then on to small
        ("c6a.2xlarge", "c6a.large", ["c6a.xlarge"]),
        ("c6a.xlarge", "c6a.large", []),  # one step: no stages
        ("c6a.large", "c6a.xlarge", []),  # an upgrade
    ],
)
def test_downgrade_stages_go_one_size_at_a_time(start, end, stages):
    assert downgrade_stages(start, end) == stages


def test_heavy_to_light_says_go_in_stages_and_names_the_next_step():
    advice = guide_advice(cfg("heavy"), cfg("light"), "heavy")
    stage = next(a for a in advice if a.topic == "stages")
    assert "c6a.xlarge -> c6a.large -> t3.medium -> t3.small" in stage.message
    assert 'STACK=heavy SET="instanceType=c6a.large"' in stage.message, "the next command to run is given"


def test_moving_onto_burstable_warns_about_credits():
    advice = guide_advice(cfg("medium"), cfg("medium", instanceType="t3.medium"))
    assert "burstable" in topics(advice, "warning")
    assert "credits" in next(a.message for a in advice if a.topic == "burstable")


def test_upgrade_gets_the_low_traffic_window_advice_and_no_stages():
    advice = guide_advice(cfg("light"), cfg("heavy"))
    assert topics(advice) == ["upgrade"]


def test_same_instance_type_gets_no_size_advice():
    assert guide_advice(cfg("heavy"), cfg("heavy", efsThroughputMode="bursting")) == []


def arch_sides(after_instance: str, image_id: str, containers: str = MULTI_ARCH, platform: str | None = None):
    before = with_inputs(
        happy_stack("t3.small", containers=containers),
        LAUNCH_TEMPLATE,
        imageId=f"resolve:ssm:{ECS_AMI_PARAMETER['x86_64']}",
    )
    after = with_inputs(happy_stack(after_instance, containers=containers), LAUNCH_TEMPLATE, imageId=image_id)
    if platform:
        after = with_inputs(after, TASK_DEFINITION, runtimePlatform={"cpuArchitecture": platform})
    return (preview_of(before, cfg("light")), preview_of(after, cfg("light", instanceType=after_instance)))


def test_graviton_move_with_arm64_ami_and_multi_arch_images_passes():
    checks = architecture_checks(*arch_sides("c6g.xlarge", f"resolve:ssm:{ECS_AMI_PARAMETER['arm64']}"))
    assert topics(checks, "error") == [], "arm64 AMI parameter and multi-arch images: nothing blocks"
    assert any("/arm64/" in c.message for c in checks), "the report shows the arm64 AMI parameter"


def test_graviton_move_keeping_the_x86_ami_is_an_error():
    checks = architecture_checks(*arch_sides("c6g.xlarge", f"resolve:ssm:{ECS_AMI_PARAMETER['x86_64']}"))
    assert any(c.level == "error" and "would not boot" in c.message for c in checks)


def test_task_platform_pinned_to_x86_is_an_error_on_arm64():
    checks = architecture_checks(
        *arch_sides("c6g.xlarge", f"resolve:ssm:{ECS_AMI_PARAMETER['arm64']}", platform="X86_64")
    )
    assert any(c.level == "error" and "runtimePlatform" in c.message for c in checks)


def test_an_image_of_unknown_architectures_is_a_warning_on_arm64():
    custom = json.dumps([{"name": "pypiserver", "image": "registry.example.com/team/pypi:1.0"}])
    checks = architecture_checks(
        *arch_sides("c6g.xlarge", f"resolve:ssm:{ECS_AMI_PARAMETER['arm64']}", containers=custom)
    )
    assert any(c.level == "warning" and "registry.example.com/team/pypi" in c.message for c in checks)
