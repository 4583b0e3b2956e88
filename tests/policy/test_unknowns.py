"""Unknown values during preview never crash a policy and never block by themselves.

During `pulumi preview`, values that depend on other resources' outputs are unknown; the
engine sends them as a sentinel string that pulumi-policy's proxy turns into
UnknownValueError on access, which the SDK reports as an advisory "can't run policy ...
during preview". A policy that raised anything else would fail the whole preview; one that
read the sentinel as a value could block on a false violation. This sweeps every property
(leaf or container) of every resource of the happy stack.
"""

from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from tests.support.policy_fixtures import UNKNOWN, happy_stack, mutate

BASELINE_STACK = happy_stack()


def property_paths(value: Any, prefix: str = "") -> list[str]:
    """Every dotted path into a props dict, containers included ("ingress", "ingress.0", ...)."""
    paths = []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        path = f"{prefix}{key}"
        paths.append(path)
        paths += property_paths(child, path + ".")
    return paths


SWEEP = [(r.name, path) for r in BASELINE_STACK for path in property_paths(r.outputs) if path not in ("id", "arn")]


def mandatory(verdicts) -> set[tuple[str, str]]:
    return {(v.policy, v.urn) for v in verdicts if v.level == "mandatory"}


def test_sweep_covers_the_properties_policies_read():
    paths = {(name, path) for name, path in SWEEP}
    for expected in [
        ("pypiserver-asg", "minSize"),
        ("pypiserver-lt", "instanceType"),
        ("pypiserver-task", "containerDefinitions"),
        ("pypiserver-alb-sg", "ingress.0.cidrBlocks.0"),
        ("pypiserver-scaling-target", "maxCapacity"),
        ("pypiserver-efs", "throughputMode"),
    ]:
        assert expected in paths, f"the sweep must replace {expected}"


@pytest.mark.parametrize("name,path", SWEEP, ids=[f"{n}:{p}" for n, p in SWEEP])
def test_unknown_property_neither_crashes_nor_blocks(analyze, name, path):
    """The happy stack has no mandatory violation (test_policy_* check that), so none may appear."""
    verdicts = analyze(mutate(BASELINE_STACK, name, path, UNKNOWN))  # raises if a policy crashed
    assert mandatory(verdicts) == set(), f"an unknown {name}.{path} must not produce a mandatory violation"


@pytest.mark.parametrize(
    "name,path,policy",
    [
        ("pypiserver-asg", "minSize", "asg-min-instances"),
        ("pypiserver-lt", "instanceType", "compute-optimized-instances"),
        ("pypiserver-task", "containerDefinitions", "ecs-task-max-fits-instances"),
        ("pypiserver-efs", "throughputMode", "efs-throughput-mode"),
        ("pypiserver-alb-sg", "ingress", "no-open-ingress"),
    ],
)
def test_unknown_read_is_reported_as_cannot_run_during_preview(analyze, name, path, policy):
    """The unknown reaches the policy and the SDK reports it (advisory), as the engine shows it."""
    verdicts = analyze(mutate(BASELINE_STACK, name, path, UNKNOWN))
    found = [v for v in verdicts if v.policy == policy]
    assert [v.level for v in found] == ["advisory"], found
    assert f"can't run policy '{policy}'" in found[0].message and "during preview" in found[0].message


@pytest.mark.parametrize(
    "sentinel",
    [UNKNOWN_STRING_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE],
)
def test_every_kind_of_unknown_sentinel_is_handled(analyze, sentinel):
    stack = mutate(BASELINE_STACK, "pypiserver-scaling-target", "maxCapacity", sentinel)
    found = [v for v in analyze(stack) if v.policy in ("ecs-task-max-bounded", "ecs-task-max-fits-instances")]
    assert {v.level for v in found} == {"advisory"} and len(found) == 2, found


# A stack the happy one does not cover: mixed instances, one type outside the pack's catalog.
MIXED_STACK = mutate(
    BASELINE_STACK,
    "pypiserver-asg",
    "mixedInstancesPolicy",
    {"launchTemplate": {"overrides": [{"instanceType": "c8i.xlarge"}, {"instanceType": "c6a.xlarge"}]}},
)
MIXED_SWEEP = [
    ("pypiserver-asg", p)
    for p in property_paths(MIXED_STACK[[r.name for r in MIXED_STACK].index("pypiserver-asg")].outputs)
    if p.startswith("mixedInstancesPolicy")
]


def test_mixed_sweep_reaches_the_override_types():
    assert ("pypiserver-asg", "mixedInstancesPolicy.launchTemplate.overrides.0.instanceType") in MIXED_SWEEP


@pytest.mark.parametrize("name,path", MIXED_SWEEP, ids=[p for _, p in MIXED_SWEEP])
def test_unknown_override_neither_crashes_nor_adds_a_block(analyze, name, path):
    """The type outside the catalog is a finding of its own (its size is unknown to the pack);
    an unknown value may remove findings until `pulumi up`, never add a mandatory one."""
    before = mandatory(analyze(MIXED_STACK))
    assert "ecs-task-max-fits-instances" in {policy for policy, _ in before}, before
    assert mandatory(analyze(mutate(MIXED_STACK, name, path, UNKNOWN))) <= before
