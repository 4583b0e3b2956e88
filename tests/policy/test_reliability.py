"""policy/policies/reliability.py, in-process: the happy-path stack complies; each mutation breaks one rule."""

from dataclasses import replace

import pytest

from commands.engine import RenderedResource
from tests.support.policy_fixtures import DELETE, happy_stack, mutate, named, urn, without

MANDATORY = ["efs-backup-enabled", "ecs-deployment-circuit-breaker", "health-check-not-root", "required-alarms"]


@pytest.mark.parametrize("policy", MANDATORY)
def test_happy_stack_complies(analyze, policy):
    assert named(analyze(happy_stack()), policy) == [], f"the compliant heavy stack must pass {policy}"


def only(verdicts, policy):
    found = named(verdicts, policy)
    assert len(found) == 1, f"expected exactly one {policy} verdict, got {found}"
    return found[0]


# --- efs-backup-enabled (stack) ----------------------------------------------------------


def test_no_backup_selection_rejected(analyze):
    stack = without(happy_stack(), "pypiserver-backup-selection", "pypiserver-backup-plan", "pypiserver-backup-vault")
    v = only(analyze(stack), "efs-backup-enabled")
    assert (v.level, v.resource) == ("mandatory", "pypiserver-efs") and "backupEnabled" in v.message


def test_selection_found_by_arn_when_graph_lacks_link(analyze):
    """A program that passes the ARN as a literal leaves no dependency: the ARN still matches."""
    stack = mutate(happy_stack(), "pypiserver-backup-selection", "resources", ["arn:pypiserver-efs"])
    stack = without(stack, "pypiserver-efs-ap")  # unrelated; keeps the test focused on values
    stack = [
        r
        if r.name != "pypiserver-backup-selection"
        else type(r)(**{**r.__dict__, "dependencies": (), "property_dependencies": {}})
        for r in stack
    ]
    assert named(analyze(stack), "efs-backup-enabled") == []


def test_selection_of_another_resource_does_not_count(analyze):
    stack = [
        r
        if r.name != "pypiserver-backup-selection"
        else type(r)(
            **{
                **r.__dict__,
                "dependencies": (),
                "property_dependencies": {},
                "outputs": {**r.outputs, "resources": ["arn:some-other-fs"]},
            }
        )
        for r in happy_stack()
    ]
    assert len(named(analyze(stack), "efs-backup-enabled")) == 1


# --- ecs-deployment-circuit-breaker ------------------------------------------------------


@pytest.mark.parametrize(
    "path,value",
    [
        ("deploymentCircuitBreaker.rollback", False),
        ("deploymentCircuitBreaker.enable", False),
        ("deploymentCircuitBreaker", DELETE),
    ],
)
def test_circuit_breaker_without_rollback_rejected(analyze, path, value):
    v = only(analyze(mutate(happy_stack(), "pypiserver-service", path, value)), "ecs-deployment-circuit-breaker")
    assert (v.level, v.resource) == ("mandatory", "pypiserver-service")


def test_code_deploy_controller_not_checked(analyze):
    stack = mutate(happy_stack(), "pypiserver-service", "deploymentCircuitBreaker", DELETE)
    stack = mutate(stack, "pypiserver-service", "deploymentController", {"type": "CODE_DEPLOY"})
    assert named(analyze(stack), "ecs-deployment-circuit-breaker") == []


# --- health-check-not-root ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["/", DELETE])
def test_health_check_on_root_rejected(analyze, value):
    v = only(analyze(mutate(happy_stack(), "pypiserver-tg", "healthCheck.path", value)), "health-check-not-root")
    assert v.resource == "pypiserver-tg" and "/health" in v.message


def test_disabled_health_check_rejected(analyze):
    v = only(analyze(mutate(happy_stack(), "pypiserver-tg", "healthCheck.enabled", False)), "health-check-not-root")
    assert "disabled" in v.message


# --- required-alarms (stack) -------------------------------------------------------------


@pytest.mark.parametrize(
    "alarm,named_in_message",
    [
        ("pypiserver-efs-io-limit", "EFS PercentIOLimit"),
        ("pypiserver-ecs-cpu-high", "ECS CPU"),
        ("pypiserver-ecs-memory-high", "ECS memory"),
        ("pypiserver-alb-p95-latency", "ALB P95 latency"),
        # The load balancer's own 5xx count for the guide's 5xx alarm too (its `also_accepted`).
        (("pypiserver-alb-5xx", "pypiserver-elb-5xx"), "ALB 5xx"),
    ],
)
def test_missing_guide_alarm_rejected(analyze, alarm, named_in_message):
    stack = happy_stack()
    for name in (alarm,) if isinstance(alarm, str) else alarm:
        stack = without(stack, name)
    v = only(analyze(stack), "required-alarms")
    assert v.level == "mandatory" and f"no alarm for: {named_in_message}." in v.message, v.message


def test_alarm_on_elb_5xx_satisfies_5xx(analyze):
    stack = mutate(happy_stack(), "pypiserver-alb-5xx", "metricName", "HTTPCode_ELB_5XX_Count")
    assert named(analyze(stack), "required-alarms") == []


def test_metric_math_alarm_counts(analyze):
    stack = mutate(happy_stack(), "pypiserver-ecs-cpu-high", "metricName", DELETE)
    stack = mutate(stack, "pypiserver-ecs-cpu-high", "namespace", DELETE)
    stack = mutate(
        stack,
        "pypiserver-ecs-cpu-high",
        "metricQueries",
        [
            {
                "id": "m1",
                "metric": {"namespace": "AWS/ECS", "metricName": "CPUUtilization", "stat": "Average", "period": 300},
                "returnData": True,
            }
        ],
    )
    assert named(analyze(stack), "required-alarms") == []


def test_required_alarms_configurable(analyze):
    config = {
        "required-alarms": {
            "requiredAlarms": [
                {"name": "queue depth", "namespace": "AWS/SQS", "metrics": ["ApproximateNumberOfMessagesVisible"]}
            ]
        }
    }
    v = only(analyze(happy_stack(), config), "required-alarms")
    assert "no alarm for: queue depth." in v.message


# --- edges --------------------------------------------------------------------------------

NO_AWS_BACKUP = ("pypiserver-backup-selection", "pypiserver-backup-plan", "pypiserver-backup-vault")


def efs_backup_policy(stack, status: str) -> RenderedResource:
    fs = next(r for r in stack if r.name == "pypiserver-efs")
    type_ = "aws:efs/backupPolicy:BackupPolicy"
    props = {"fileSystemId": "fs-pypiserver-efs", "backupPolicy": {"status": status}}
    return RenderedResource(
        id=None,
        urn=urn("heavy", type_, "efs-backup"),
        type=type_,
        name="efs-backup",
        parent=fs.parent,
        custom=True,
        inputs=props,
        outputs=props,
        dependencies=(fs.urn,),
        property_dependencies={"fileSystemId": (fs.urn,)},
    )


def test_an_enabled_efs_backup_policy_is_a_backup(analyze):
    stack = without(happy_stack(), *NO_AWS_BACKUP)
    assert named(analyze([*stack, efs_backup_policy(stack, "ENABLED")]), "efs-backup-enabled") == []


def test_a_disabled_efs_backup_policy_is_no_backup(analyze):
    stack = without(happy_stack(), *NO_AWS_BACKUP)
    assert len(named(analyze([*stack, efs_backup_policy(stack, "DISABLED")]), "efs-backup-enabled")) == 1


def test_a_file_system_without_an_arn_matches_no_selection_by_value(analyze):
    """Unlinked selection naming an unknown (null) resource: no ARN to match, so no backup."""
    stack = mutate(happy_stack(), "pypiserver-backup-selection", "resources", [None])
    stack = [
        replace(r, dependencies=(), property_dependencies={})
        if r.name == "pypiserver-backup-selection"
        else replace(r, outputs={k: v for k, v in r.outputs.items() if k != "arn"})
        if r.name == "pypiserver-efs"
        else r
        for r in stack
    ]
    assert len(named(analyze(stack), "efs-backup-enabled")) == 1


def test_a_lambda_target_group_has_no_health_path_to_check(analyze):
    stack = mutate(happy_stack(), "pypiserver-tg", "targetType", "lambda")
    stack = mutate(stack, "pypiserver-tg", "healthCheck.path", "/")
    assert named(analyze(stack), "health-check-not-root") == []


def test_health_check_enabled_unset_means_enabled(analyze):
    stack = mutate(happy_stack(), "pypiserver-tg", "healthCheck.enabled", DELETE)
    assert named(analyze(stack), "health-check-not-root") == []


def test_required_alarms_setting_takes_only_well_formed_alarms():
    from jsonschema import Draft7Validator

    from policies import reliability

    alarms = Draft7Validator(reliability.ALARMS_SCHEMA.properties["requiredAlarms"])
    good = {"name": "ECS CPU", "namespace": "AWS/ECS", "metrics": ["CPUUtilization"]}
    assert alarms.is_valid([good])
    bad = [
        "ECS CPU",
        [{k: v for k, v in good.items() if k != "name"}],
        [{k: v for k, v in good.items() if k != "namespace"}],
        [{k: v for k, v in good.items() if k != "metrics"}],
        [{**good, "name": 5}],
        [{**good, "namespace": 5}],
        [{**good, "metrics": []}],
        [{**good, "metrics": "CPUUtilization"}],
        [{**good, "metrics": [5]}],
        ["not an object"],
    ]
    for value in bad:
        assert not alarms.is_valid(value), value
