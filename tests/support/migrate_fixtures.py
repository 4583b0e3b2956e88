"""A small hand-built stack for the migration unit tests, shaped like what components/ renders.

`happy_stack()` returns RenderedResources for the parts a migration touches: the EFS file
system (protected) and a mount target reading its id, a launch template and the ASG whose
launchTemplate.version reads its latestVersion, a task definition and the service reading its
ARN, a log group. Tests change one thing with `with_inputs` / `renamed` and diff the two sides.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from commands.engine import RenderedResource, StackPreview

STACK = "heavy"
PREFIX = f"urn:pulumi:{STACK}::pypiserver::pypiserver:index:PypiServer$"

EFS = "aws:efs/fileSystem:FileSystem"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"


def urn(type_: str, name: str) -> str:
    return f"{PREFIX}{type_}::{name}"


def resource(
    type_: str,
    name: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any] | None = None,
    deps: dict[str, tuple[str, ...]] | None = None,
    **options: Any,
) -> RenderedResource:
    return RenderedResource(
        urn=urn(type_, name),
        type=type_,
        name=name,
        parent=None,
        custom=True,
        id=f"{name}-id",
        inputs=inputs,
        outputs={**inputs, **(outputs or {})},
        dependencies=tuple(u for us in (deps or {}).values() for u in us),
        property_dependencies={k: tuple(v) for k, v in {**{k: () for k in inputs}, **(deps or {})}.items()},
        **options,
    )


def happy_stack(
    instance_type: str = "c6a.xlarge",
    asg_version: str = "1",
    containers: str = '[{"name": "pypiserver", "cpu": 512, "memory": 384}]',
) -> list[RenderedResource]:
    efs = resource(
        EFS,
        "pypiserver-efs",
        {"encrypted": True, "performanceMode": "generalPurpose", "throughputMode": "elastic"},
        {"id": "fs-1"},
        protect=True,
    )
    mount = resource(
        MOUNT_TARGET,
        "pypiserver-efs-mt-subnet-a",
        {"fileSystemId": "fs-1", "subnetId": "subnet-a"},
        deps={"fileSystemId": (efs.urn,)},
        protect=True,
    )
    lt = resource(
        LAUNCH_TEMPLATE,
        "pypiserver-lt",
        {"instanceType": instance_type, "imageId": "resolve:ssm:x"},
        {"id": "lt-1", "latestVersion": 1},
    )
    asg = resource(
        ASG,
        "pypiserver-asg",
        {
            "minSize": 2.0,
            "maxSize": 4.0,
            "launchTemplate": {"id": "lt-1", "version": asg_version},
            "instanceRefresh": {
                "strategy": "Rolling",
                "preferences": {"minHealthyPercentage": 100.0, "maxHealthyPercentage": 200.0, "instanceWarmup": "300"},
            },
        },
        deps={"launchTemplate": (lt.urn,)},
        ignore_changes=("desiredCapacity",),
    )
    td = resource(
        TASK_DEFINITION,
        "pypiserver-task",
        {"family": "pypiserver-heavy", "containerDefinitions": containers, "tags": {"Stack": STACK}},
        {"arn": "arn:td:1"},
    )
    svc = resource(
        SERVICE,
        "pypiserver-service",
        {
            "taskDefinition": "arn:td:1",
            "desiredCount": 12.0,
            "deploymentMinimumHealthyPercent": 100.0,
            "deploymentMaximumPercent": 200.0,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        deps={"taskDefinition": (td.urn,)},
        ignore_changes=("desiredCount",),
    )
    logs = resource(LOG_GROUP, "pypiserver-logs", {"retentionInDays": 90.0})
    tg = resource(
        TARGET_GROUP,
        "pypiserver-tg",
        {"deregistrationDelay": 30.0, "healthCheck": {"healthyThreshold": 2.0, "interval": 15.0}},
    )
    return [efs, mount, lt, asg, td, svc, logs, tg]


def with_inputs(resources: list[RenderedResource], type_: str, **changes: Any) -> list[RenderedResource]:
    """A copy of the stack with some inputs of the (single) resource of `type_` changed."""
    out = []
    for r in resources:
        if r.type == type_:
            inputs = {**copy.deepcopy(r.inputs), **changes}
            r = replace(r, inputs=inputs, outputs={**r.outputs, **changes})
        out.append(r)
    return out


def renamed(resources: list[RenderedResource], type_: str, new_name: str) -> list[RenderedResource]:
    """A copy where one resource has a different logical name, hence a different URN (and the
    resources that depend on it name the new URN, as the engine would record)."""
    old_urn = next(r.urn for r in resources if r.type == type_)
    new_urn = urn(type_, new_name)

    def repoint(r: RenderedResource) -> RenderedResource:
        deps = {k: tuple(new_urn if u == old_urn else u for u in v) for k, v in r.property_dependencies.items()}
        return replace(
            r, property_dependencies=deps, dependencies=tuple(new_urn if u == old_urn else u for u in r.dependencies)
        )

    return [replace(r, name=new_name, urn=new_urn) if r.type == type_ else repoint(r) for r in resources]


def preview_of(resources: list[RenderedResource], config: Any, capacity: dict | None = None) -> StackPreview:
    outputs = {
        "capacity": capacity if capacity is not None else config.capacity_summary(),
        "monthlyCostUsd": config.monthly_cost.total,
    }
    return StackPreview(stack=STACK, project="pypiserver", config=config, resources=resources, outputs=outputs)
