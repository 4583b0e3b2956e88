"""policy/policies/sizing.py, in-process: the happy-path stack complies; each mutation breaks one rule."""

import json
from dataclasses import replace

import pytest

from commands.engine import RenderedResource
from tests.support.policy_fixtures import CONTAINERS_HEAVY, DELETE, happy_stack, mutate, named, urn, without

SIZING = [
    "asg-min-instances",
    "compute-optimized-instances",
    "efs-throughput-mode",
    "ecs-task-max-bounded",
    "ecs-task-max-fits-instances",
    "instance-min-vcpu",
    "asg-max-instances",
]


@pytest.mark.parametrize("policy", SIZING)
def test_happy_stack_complies(analyze, policy):
    assert named(analyze(happy_stack()), policy) == [], f"the compliant heavy stack must pass {policy}"


# --- asg-min-instances -------------------------------------------------------------------


def test_asg_min_size_one_is_mandatory_violation(analyze):
    found = named(analyze(mutate(happy_stack(), "pypiserver-asg", "minSize", 1)), "asg-min-instances")
    assert [(v.level, v.resource) for v in found] == [("mandatory", "pypiserver-asg")], found
    assert "minSize is 1" in found[0].message and "asgMinSize" in found[0].message


def test_asg_min_size_configurable(analyze):
    stack = happy_stack()  # minSize 2
    assert named(analyze(stack, {"asg-min-instances": {"minInstances": 3}}), "asg-min-instances"), (
        "minInstances=3 must reject minSize 2"
    )


# --- compute-optimized-instances ---------------------------------------------------------


def test_general_purpose_family_rejected(analyze):
    found = named(
        analyze(mutate(happy_stack(), "pypiserver-lt", "instanceType", "m6i.large")), "compute-optimized-instances"
    )
    assert len(found) == 1 and found[0].resource == "pypiserver-lt", found
    assert "m6i.large is not compute-optimized" in found[0].message


@pytest.mark.parametrize("instance_type", ["c7g.xlarge", "c6i.large", "c5.2xlarge"])
def test_other_compute_families_allowed(analyze, instance_type):
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", instance_type)
    assert named(analyze(stack), "compute-optimized-instances") == [], f"{instance_type} is compute-optimized"


def test_burstable_rejected_without_allowance(analyze):
    stack = mutate(happy_stack("light"), "pypiserver-lt", "instanceType", "t3.small")
    found = named(analyze(stack, stack="light"), "compute-optimized-instances")
    assert len(found) == 1, "t3 must be rejected when no stack is allowed burstable"
    assert "CPU credits" in found[0].message, "the message must say why burstable is risky"


def test_burstable_allowed_for_named_stack(analyze):
    stack = mutate(happy_stack("light"), "pypiserver-lt", "instanceType", "t3.small")
    config = {"compute-optimized-instances": {"burstableStacks": ["light"]}}
    assert named(analyze(stack, config, stack="light"), "compute-optimized-instances") == []


def test_burstable_allowance_is_per_stack_name(analyze):
    """The allowance follows PULUMI_STACK (what the engine sets), not anything in the stack."""
    stack = mutate(happy_stack("heavy"), "pypiserver-lt", "instanceType", "t3a.medium")
    config = {"compute-optimized-instances": {"burstableStacks": ["light"]}}
    found = named(analyze(stack, config, stack="heavy"), "compute-optimized-instances")
    assert len(found) == 1 and "stack 'heavy'" in found[0].message, found


def test_burstable_not_allowed_by_the_stacks_own_tags(analyze):
    """A stack cannot exempt itself: tags or other props on its own resources change nothing."""
    stack = mutate(happy_stack("light"), "pypiserver-lt", "instanceType", "t3.small")
    stack = mutate(stack, "pypiserver-lt", "tags", {"burstableStacks": "light", "policy-exemption": "burstable"})
    assert len(named(analyze(stack, stack="light"), "compute-optimized-instances")) == 1


def test_mixed_instances_override_checked(analyze):
    stack = mutate(
        happy_stack(),
        "pypiserver-asg",
        "mixedInstancesPolicy",
        {"launchTemplate": {"overrides": [{"instanceType": "c6a.xlarge"}, {"instanceType": "r6i.large"}]}},
    )
    found = named(analyze(stack), "compute-optimized-instances")
    assert [v.resource for v in found] == ["pypiserver-asg"] and "r6i.large" in found[0].message, found


@pytest.mark.parametrize(
    "instance_type",
    [
        "c7i-flex.xlarge",
        "c6gd.xlarge",
        "c8i.xlarge",  # held out: found by an adopting organization
        "c5n.large",
        "c6in.xlarge",
        "c7gn.large",
        "c8gd.2xlarge",
        "c5ad.large",
        "c9an.xlarge",
    ],
)  # outside the catalog
def test_compute_families_outside_the_catalog_allowed(analyze, instance_type):
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", instance_type)
    assert named(analyze(stack), "compute-optimized-instances") == [], f"{instance_type} is compute-optimized"


@pytest.mark.parametrize(
    "instance_type,words",
    [
        ("m7i-flex.large", "general purpose"),
        ("m8g.xlarge", "general purpose"),
        ("r7iz.large", "memory optimized"),
        ("x2iedn.xlarge", "memory optimized"),
        ("z1d.large", "memory optimized"),
        ("i4i.large", "storage optimized"),
        ("g5.xlarge", "accelerated computing"),
        ("hpc7g.4xlarge", "high performance computing"),
        ("q9.large", "of a series AWS's naming convention does not define"),
    ],
)
def test_other_classes_rejected_with_their_class(analyze, instance_type, words):
    found = named(
        analyze(mutate(happy_stack(), "pypiserver-lt", "instanceType", instance_type)), "compute-optimized-instances"
    )
    assert len(found) == 1 and f"{instance_type} is not compute-optimized" in found[0].message, found
    assert words in found[0].message and "allowedFamilies" in found[0].message, found[0].message


@pytest.mark.parametrize("instance_type", ["t4g.medium", "t2.large", "t3a.small"])
def test_every_t_series_is_burstable(analyze, instance_type):
    found = named(
        analyze(mutate(happy_stack(), "pypiserver-lt", "instanceType", instance_type)), "compute-optimized-instances"
    )
    assert len(found) == 1 and "is burstable" in found[0].message, found


@pytest.mark.parametrize("instance_type", ["c6a", "C6A.LARGE", "c6a.large.huge"])
def test_unparseable_instance_type_named_in_one_line(analyze, instance_type):
    found = named(
        analyze(mutate(happy_stack(), "pypiserver-lt", "instanceType", instance_type)), "compute-optimized-instances"
    )
    assert len(found) == 1 and "is not an EC2 instance type name" in found[0].message, found
    assert "c7i.large" in found[0].message and "\n" not in found[0].message


def test_allowed_families_override_the_class(analyze):
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", "m7i.large")
    config = {"compute-optimized-instances": {"allowedFamilies": ["m7i"]}}
    assert named(analyze(stack, config), "compute-optimized-instances") == []


def test_denied_families_override_the_class(analyze):
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", "c5.xlarge")
    config = {"compute-optimized-instances": {"deniedFamilies": ["c5"]}}
    found = named(analyze(stack, config), "compute-optimized-instances")
    assert len(found) == 1 and "deniedFamilies" in found[0].message, found


# --- efs-throughput-mode -----------------------------------------------------------------


def test_bursting_efs_rejected(analyze):
    found = named(analyze(mutate(happy_stack(), "pypiserver-efs", "throughputMode", "bursting")), "efs-throughput-mode")
    assert [(v.level, v.resource) for v in found] == [("mandatory", "pypiserver-efs")]
    assert "efsThroughputMode to elastic" in found[0].message


def test_missing_throughput_mode_means_bursting(analyze):
    found = named(analyze(mutate(happy_stack(), "pypiserver-efs", "throughputMode", DELETE)), "efs-throughput-mode")
    assert len(found) == 1 and "bursting" in found[0].message, "AWS defaults to bursting when unset"


def test_provisioned_rejected_by_default(analyze):
    stack = mutate(happy_stack(), "pypiserver-efs", "throughputMode", "provisioned")
    assert len(named(analyze(stack), "efs-throughput-mode")) == 1


def test_provisioned_allowed_by_config(analyze):
    stack = mutate(happy_stack(), "pypiserver-efs", "throughputMode", "provisioned")
    config = {"efs-throughput-mode": {"allowedModes": ["elastic", "provisioned"]}}
    assert named(analyze(stack, config), "efs-throughput-mode") == []


# --- ecs-task-max-bounded ----------------------------------------------------------------


def test_task_max_over_ratio_rejected(analyze):
    found = named(
        analyze(mutate(happy_stack(), "pypiserver-scaling-target", "maxCapacity", 25)), "ecs-task-max-bounded"
    )
    assert [v.resource for v in found] == ["pypiserver-scaling-target"]
    assert "at most 24" in found[0].message, found[0].message


def test_task_max_missing_rejected(analyze):
    stack = mutate(happy_stack(), "pypiserver-scaling-target", "maxCapacity", DELETE)
    found = named(analyze(stack), "ecs-task-max-bounded")
    assert len(found) == 1 and "no maxCapacity" in found[0].message


def test_task_max_ratio_configurable(analyze):
    stack = mutate(happy_stack(), "pypiserver-scaling-target", "maxCapacity", 30)
    assert named(analyze(stack, {"ecs-task-max-bounded": {"maxToMinRatio": 3}}), "ecs-task-max-bounded") == []


def test_non_ecs_scaling_target_ignored(analyze):
    stack = mutate(happy_stack(), "pypiserver-scaling-target", "scalableDimension", "dynamodb:table:ReadCapacityUnits")
    stack = mutate(stack, "pypiserver-scaling-target", "maxCapacity", 1000)
    assert named(analyze(stack), "ecs-task-max-bounded") == []


# --- ecs-task-max-fits-instances (stack) -------------------------------------------------


def test_task_max_beyond_instances_rejected(analyze):
    """c6a.xlarge holds 6 tasks of 640 CPU units; 3 instances hold 18 < 24."""
    found = named(analyze(mutate(happy_stack(), "pypiserver-asg", "maxSize", 3)), "ecs-task-max-fits-instances")
    assert [(v.level, v.resource) for v in found] == [("mandatory", "pypiserver-scaling-target")], found
    assert "hold at most 18" in found[0].message and "6 per instance" in found[0].message, found[0].message


def test_task_capacity_uses_launch_template_instance_type(analyze):
    """c6a.large: (2048-128)//640 = 3 per instance -> 12 on 4 instances < 24."""
    found = named(
        analyze(mutate(happy_stack(), "pypiserver-lt", "instanceType", "c6a.large")), "ecs-task-max-fits-instances"
    )
    assert len(found) == 1 and "hold at most 12" in found[0].message, found


def test_task_capacity_sums_every_container(analyze):
    """A second container of 640 units halves what fits: 3 per c6a.xlarge -> 12 < 24."""
    sidecar = {"name": "front", "image": "nginx", "cpu": 640, "memoryReservation": 64}
    stack = mutate(happy_stack(), "pypiserver-task", "containerDefinitions", json.dumps([*CONTAINERS_HEAVY, sidecar]))
    found = named(analyze(stack), "ecs-task-max-fits-instances")
    assert len(found) == 1 and "1280 CPU units and 448 MiB" in found[0].message, found


def test_task_capacity_follows_dependencies_not_any_asg(analyze):
    """An unrelated large ASG in the stack must not count toward the service's room."""
    stack = mutate(happy_stack(), "pypiserver-asg", "maxSize", 3)
    big = next(r for r in stack if r.name == "pypiserver-asg")
    other = RenderedResource(
        id=None,
        urn=urn("heavy", big.type, "other-asg"),
        type=big.type,
        name="other-asg",
        parent=big.parent,
        custom=True,
        inputs={**big.inputs, "maxSize": 50},
        outputs={**big.outputs, "maxSize": 50},
        dependencies=big.dependencies,
        property_dependencies=big.property_dependencies,
    )
    assert len(named(analyze([*stack, other]), "ecs-task-max-fits-instances")) == 1


def test_task_without_reservations_rejected(analyze):
    stack = mutate(happy_stack(), "pypiserver-task", "containerDefinitions", json.dumps([{"name": "x", "image": "y"}]))
    found = named(analyze(stack), "ecs-task-max-fits-instances")
    assert len(found) == 1 and "reserves 0 CPU units" in found[0].message


def test_unknown_instance_type_needs_extra_instance_types(analyze):
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", "c8g.xlarge")
    found = named(analyze(stack), "ecs-task-max-fits-instances")
    assert len(found) == 1 and "extraInstanceTypes" in found[0].message
    config = {"ecs-task-max-fits-instances": {"extraInstanceTypes": {"c8g.xlarge": {"vcpu": 4, "memoryMib": 8192}}}}
    assert named(analyze(stack, config), "ecs-task-max-fits-instances") == [], (
        "a type described in extraInstanceTypes is bounded like a catalog type"
    )


def test_fargate_service_without_instances_not_checked(analyze):
    stack = without(happy_stack(), "pypiserver-asg", "pypiserver-cp", "pypiserver-lt")
    stack = mutate(stack, "pypiserver-scaling-target", "maxCapacity", 24)
    assert named(analyze(stack), "ecs-task-max-fits-instances") == []


# --- fewer, beefier (advisory) -----------------------------------------------------------


def test_one_vcpu_instance_is_advisory(analyze):
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", "c6g.medium")
    config = {"instance-min-vcpu": {"extraInstanceTypes": {"c6g.medium": {"vcpu": 1, "memoryMib": 2048}}}}
    found = named(analyze(stack, config), "instance-min-vcpu")
    assert [v.level for v in found] == ["advisory"], "fewer-beefier is advisory by default"
    assert "c6g.medium has 1 vCPU" in found[0].message


def test_unknown_instance_type_is_reported_not_passed_by_min_vcpu(analyze):
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", "c8i.xlarge")
    found = named(analyze(stack), "instance-min-vcpu")
    assert [v.level for v in found] == ["advisory"] and "extraInstanceTypes" in found[0].message, found
    config = {"instance-min-vcpu": {"extraInstanceTypes": {"c8i.xlarge": {"vcpu": 4, "memoryMib": 8192}}}}
    assert named(analyze(stack, config), "instance-min-vcpu") == []


def test_two_vcpu_instance_passes_min_vcpu(analyze):
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", "t3.small")  # 2 vCPU
    assert named(analyze(stack), "instance-min-vcpu") == []


def test_asg_max_over_four_is_advisory(analyze):
    found = named(analyze(mutate(happy_stack(), "pypiserver-asg", "maxSize", 6)), "asg-max-instances")
    assert [(v.level, v.resource) for v in found] == [("advisory", "pypiserver-asg")]


def only(verdicts, policy):
    found = named(verdicts, policy)
    assert len(found) == 1, f"expected exactly one {policy} verdict, got {found}"
    return found[0]


# --- edges: settings' schemas, absent values, and what each check must not confuse ----------


def schema_of(policy_module: str, schema_name: str, key: str):
    import importlib

    from jsonschema import Draft7Validator

    module = importlib.import_module(f"policies.{policy_module}")
    return Draft7Validator(getattr(module, schema_name).properties[key])


def test_setting_schemas_accept_their_edges_and_refuse_beyond():
    checks = [
        ("ASG_MIN_SCHEMA", "minInstances", [1], [0, 1.5]),
        ("EFS_MODE_SCHEMA", "allowedModes", [["elastic", "provisioned", "bursting"]], [["fast"], "elastic"]),
        ("TASK_RATIO_SCHEMA", "maxToMinRatio", [1, 2.5], [0.5]),
        ("VCPU_SCHEMA", "minVcpu", [1], [0]),
        ("ASG_MAX_SCHEMA", "maxInstances", [1], [0]),
    ]
    for schema_name, key, good, bad in checks:
        validator = schema_of("sizing", schema_name, key)
        for value in good:
            assert validator.is_valid(value), (key, value)
        for value in bad:
            assert not validator.is_valid(value), (key, value)


@pytest.mark.parametrize("schema_name", ["FITS_SCHEMA", "VCPU_SCHEMA"])
def test_extra_instance_types_need_whole_positive_vcpu_and_memory(schema_name):
    extra = schema_of("sizing", schema_name, "extraInstanceTypes")
    assert extra.is_valid({"c9.large": {"vcpu": 1, "memoryMib": 1}})
    for bad in [
        {"c9.large": "big"},
        {"c9.large": {"vcpu": 2}},
        {"c9.large": {"memoryMib": 4096}},
        {"c9.large": {"vcpu": "2", "memoryMib": 4096}},
        {"c9.large": {"vcpu": 2, "memoryMib": "4096"}},
        {"c9.large": {"vcpu": 0, "memoryMib": 4096}},
        {"c9.large": {"vcpu": 2, "memoryMib": 0}},
    ]:
        assert not extra.is_valid(bad), bad


def test_asg_without_min_size_is_rejected(analyze):
    found = named(analyze(mutate(happy_stack(), "pypiserver-asg", "minSize", DELETE)), "asg-min-instances")
    assert [v.resource for v in found] == ["pypiserver-asg"]


def test_efs_mode_message_says_why_bursting_or_what_is_allowed(analyze):
    bursting = named(
        analyze(mutate(happy_stack(), "pypiserver-efs", "throughputMode", "bursting")), "efs-throughput-mode"
    )
    provisioned = named(
        analyze(mutate(happy_stack(), "pypiserver-efs", "throughputMode", "provisioned")), "efs-throughput-mode"
    )
    assert "burst credits" in bursting[0].message and "allows only" not in bursting[0].message
    assert "this organization allows only elastic" in provisioned[0].message


def test_a_scaling_policy_is_not_the_scaling_target(analyze):
    target = next(r for r in happy_stack() if r.name == "pypiserver-scaling-target")
    type_ = "aws:appautoscaling/policy:Policy"
    props = {"scalableDimension": "ecs:service:DesiredCount", "resourceId": "service/c/s"}
    policy = replace(
        target, urn=urn("heavy", type_, "cpu-scaling"), type=type_, name="cpu-scaling", inputs=props, outputs=props
    )
    assert named(analyze([*happy_stack(), policy]), "ecs-task-max-bounded") == []


def test_a_scaling_target_without_min_capacity_is_not_compared(analyze):
    stack = mutate(happy_stack(), "pypiserver-scaling-target", "minCapacity", DELETE)
    assert named(analyze(stack), "ecs-task-max-bounded") == []


def test_another_services_scaling_dimension_is_not_checked_for_fit(analyze):
    stack = mutate(happy_stack(), "pypiserver-scaling-target", "scalableDimension", "dynamodb:table:ReadCapacityUnits")
    stack = mutate(stack, "pypiserver-scaling-target", "maxCapacity", 1000)
    assert named(analyze(stack), "ecs-task-max-fits-instances") == []


def test_a_service_without_its_task_definition_is_skipped(analyze):
    stack = mutate(happy_stack(), "pypiserver-scaling-target", "maxCapacity", 1000)
    assert named(analyze(without(stack, "pypiserver-task")), "ecs-task-max-fits-instances") == []


# c6a.xlarge: 4 x 1024 - 128 = 3968 CPU units and 8192 - 800 = 7392 MiB for tasks; the happy
# stack's ASG reaches 4 instances and its scaling target 24 tasks.
@pytest.mark.parametrize("path, value", [("cpu", 3968), ("memory", 7392)])
def test_task_level_reservations_are_what_ecs_places_by(analyze, path, value):
    stack = mutate(happy_stack(), "pypiserver-task", path, value)
    v = only(analyze(stack), "ecs-task-max-fits-instances")
    assert "hold at most 4:" in v.message, "one task per instance, 4 instances"


def test_a_containers_hard_limit_counts_when_it_has_no_soft_limit(analyze):
    containers = [{"name": "pypiserver", "image": "x", "cpu": 640, "memory": 7392}]
    stack = mutate(happy_stack(), "pypiserver-task", "containerDefinitions", json.dumps(containers))
    assert "hold at most 4:" in only(analyze(stack), "ecs-task-max-fits-instances").message


@pytest.mark.parametrize(
    "container",
    [{"name": "x", "image": "y", "cpu": 640}, {"name": "x", "image": "y", "memoryReservation": 384}],
    ids=["cpu-only", "memory-only"],
)
def test_a_task_missing_either_reservation_has_no_bound(analyze, container):
    stack = mutate(happy_stack(), "pypiserver-task", "containerDefinitions", json.dumps([container]))
    assert "set cpu and memoryReservation" in only(analyze(stack), "ecs-task-max-fits-instances").message


def test_an_asg_without_any_instance_type_is_a_finding(analyze):
    stack = without(happy_stack(), "pypiserver-lt")
    assert "instance type unset" in only(analyze(stack), "ecs-task-max-fits-instances").message


def test_an_asg_without_max_size_holds_no_task(analyze):
    stack = mutate(happy_stack(), "pypiserver-asg", "maxSize", DELETE)
    assert "hold at most 0:" in only(analyze(stack), "ecs-task-max-fits-instances").message
    assert named(analyze(stack), "asg-max-instances") == []


def test_asg_max_of_five_is_past_the_guides_four(analyze):
    found = named(analyze(mutate(happy_stack(), "pypiserver-asg", "maxSize", 5)), "asg-max-instances")
    assert [(v.level, v.resource) for v in found] == [("advisory", "pypiserver-asg")]


@pytest.mark.parametrize(
    "container",
    [
        {"name": "x", "image": "y", "cpu": 1, "memoryReservation": 384},
        {"name": "x", "image": "y", "cpu": 640, "memoryReservation": 1},
    ],
    ids=["one-cpu-unit", "one-mib"],
)
def test_the_smallest_reservation_still_bounds_tasks(analyze, container):
    # 1 unit or 1 MiB is a reservation: the other resource bounds the task count (24 fit).
    stack = mutate(happy_stack(), "pypiserver-task", "containerDefinitions", json.dumps([container]))
    assert named(analyze(stack), "ecs-task-max-fits-instances") == []
